/** A URL without the password it may carry (STORE_URL, SESSION_STATE_URL), for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
