/** The demo's activity: plain Node code, run by the worker outside the sandbox. */
import { Context } from '../../src/activity';

export async function composeGreeting(greeting: string, name: string): Promise<string> {
  Context.current().heartbeat('composing');
  return `${greeting}, ${name}!`;
}
