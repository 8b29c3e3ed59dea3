/** Hides secrets in values shown to users: passwords in URLs and any key that names a secret. */
export function maskUrlPassword(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) {
      url.password = '****';
      return url.toString();
    }
  } catch {
    // Not a URL: nothing to mask.
  }
  return value;
}

const SECRET_KEY = /(password|secret|token|apikey|api_key)/i;

export function maskValue(key: string, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (SECRET_KEY.test(key)) return '****';
  if (typeof value === 'string') return maskUrlPassword(value);
  return value;
}
