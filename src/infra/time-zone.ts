/** Whether `zone` is an IANA time zone this Node knows (`Europe/Paris`, `UTC`): checked by Intl itself, not a list. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
