export { AppError, isAppError, type AppErrorOptions, type ErrorVariant } from './app-error';
export { ERROR_CATALOGUE, type ErrorCode } from './codes';
