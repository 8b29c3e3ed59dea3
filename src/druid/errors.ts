/**
 * Druid answers errors in several shapes: `{"error":"druidException","errorMessage":…}` from
 * SQL, `{"error":"…"}` from the overlord, plain text for an unknown supervisor, Jetty's HTML
 * pages from a service that lacks the endpoint. The user wants Druid's own words, on one line;
 * these pure helpers get them out and trim Java noise (package names, Jackson source positions,
 * long lists of known type ids) without inventing anything.
 */

const MAX_LENGTH = 300;

/** Druid's message from an error response body, whatever its shape; undefined when there is none. */
export function extractDruidMessage(body: string): string | undefined {
  const text = body.trim();
  if (text === '') return undefined;
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      for (const key of ['errorMessage', 'error', 'message']) {
        const value = json[key];
        // "druidException" and "Unknown exception" name a class of error, not what happened.
        if (typeof value === 'string' && value.trim() !== '' && !/^(druidException|Unknown exception)$/i.test(value)) return value;
      }
      return undefined;
    } catch {
      // Not JSON after all: treat it as text.
    }
  }
  if (/^<(!doctype|html)/i.test(text)) {
    const heading = /<title>([^<]*)<\/title>/i.exec(text)?.[1] ?? /<h[12]>([^<]*)<\/h[12]>/i.exec(text)?.[1];
    return heading?.trim() || undefined;
  }
  return text;
}

/** One line, at most `max` characters, with Java's noise removed. */
export function shortenMessage(message: string, max = MAX_LENGTH): string {
  let text = message;
  // A stack trace: the first line says what happened.
  text = text.split(/\r?\n\s*at [\w$.]+\(/)[0] ?? text;
  text = text
    // Jackson's "at [Source: …; line: 1, column: 42]" and reference chains point into our own request.
    .replace(/\s*at \[Source:[^\]]*\]/g, '')
    .replace(/\s*\(through reference chain:[^)]*\)/g, '')
    // The list of every aggregator Druid knows drowns the one that was wrong.
    .replace(/\s*known type ids = \[[^\]]*\]/g, '')
    // org.apache.druid.indexing.kafka.supervisor.KafkaSupervisorIOConfig → KafkaSupervisorIOConfig
    .replace(/`?\b(?:[a-z_][a-z0-9_]*\.){2,}([A-Z][\w$]*)`?/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  if (text.length > max) text = `${text.slice(0, max - 1).trimEnd()}…`;
  return text;
}

/**
 * A 404 from Jetty itself (empty, its HTML page, or its JSON `{"servlet":…,"status":"404"}`)
 * rather than from Druid: the service asked does not have the endpoint, e.g. SQL on an overlord.
 * Druid's own 404s ("Cannot find any supervisor with id") carry a message.
 */
export function isMissingEndpoint(status: number, body: string): boolean {
  if (status !== 404) return false;
  const text = body.trim();
  if (text === '' || /^<(!doctype|html)/i.test(text)) return true;
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    return typeof json === 'object' && json !== null && 'servlet' in json;
  } catch {
    return false;
  }
}

/** What to tell the user about a failed request: Druid's words, or the HTTP status when it said nothing. */
export function describeDruidFailure(status: number, statusText: string, body: string): string {
  const message = extractDruidMessage(body);
  return message === undefined ? `HTTP ${status}${statusText ? ` ${statusText}` : ''}` : shortenMessage(message);
}
