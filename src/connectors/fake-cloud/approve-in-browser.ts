import { pageError, readLoginForm } from './sign-in-page';

export interface ApproveInput {
  authorizeUrl: string;
  username: string;
  password: string;
  decision: 'accept' | 'decline';
  /** Names the fake in error messages: 'fake ecobee'. */
  who: string;
}

/**
 * Does what a user does in the browser: opens the authorize page, signs in and presses Accept or
 * Decline. Returns the redirect's Location without following it.
 */
export async function approveInBrowser(input: ApproveInput): Promise<string> {
  const page = await fetch(input.authorizeUrl);
  const text = await page.text();
  const form = page.status === 200 ? readLoginForm(text) : undefined;
  if (!form) throw new Error(`${input.who}: authorize page answered ${page.status}: ${pageError(text)}`);
  form.fields.set('username', input.username);
  form.fields.set('password', input.password);
  form.fields.set('decision', input.decision);
  const answer = await fetch(new URL(form.action, input.authorizeUrl), { method: 'POST', body: form.fields, redirect: 'manual' });
  const answerText = await answer.text();
  const location = answer.headers.get('location');
  if (answer.status !== 302 || !location) throw new Error(`${input.who}: sign-in answered ${answer.status}: ${pageError(answerText)}`);
  return location;
}
