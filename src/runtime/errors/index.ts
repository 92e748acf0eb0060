export { AppError, isAppError, type AppErrorOptions } from './app-error';
export { ERROR_CATALOGUE, type ErrorCode } from './codes';
