import { describe, expect, it } from 'vitest';
import { describeDruidFailure, extractDruidMessage, isMissingEndpoint, shortenMessage } from '../../../src/druid/errors.js';

// Bodies as Druid 33.0.0 sent them (captured from the local Druid).
const SQL_ERROR =
  '{"error":"druidException","errorCode":"invalidInput","persona":"USER","category":"INVALID_INPUT","errorMessage":"Object \'nope\' not found (line [1], column [15])","context":{"sourceType":"sql","line":"1","column":"15","endLine":"1","endColumn":"18"}}';
const UNKNOWN_AGGREGATOR =
  "{\"error\":\"Please make sure to load all the necessary extensions and jars with type 'HLLSketchBuildx' on 'druid/coordinator' service. Could not resolve type id 'HLLSketchBuildx' as a subtype of `org.apache.druid.query.aggregation.AggregatorFactory` known type ids = [HLLSketch, HLLSketchBuild, count, doubleSum, longSum, thetaSketch] (for POJO property 'metricsSpec')\"}";
const BAD_IO_CONFIG =
  '{"error":"Cannot construct instance of `org.apache.druid.indexing.kafka.supervisor.KafkaSupervisorIOConfig`, problem: consumerProperties must contain entry for [bootstrap.servers]\\n at [Source: (org.eclipse.jetty.server.HttpInputOverHTTP); line: 1, column: 187] (through reference chain: org.apache.druid.indexing.kafka.supervisor.KafkaSupervisorSpec[\\"spec\\"])"}';
const JETTY_HTML =
  '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>\n<title>Error 404 Not Found</title>\n</head>\n<body><h2>HTTP ERROR 404 Not Found</h2>\n</body>\n</html>\n';
const JETTY_JSON = '{\n"servlet":"default",\n"message":"Not Found",\n"url":"/druid/v2/sql",\n"status":"404"\n}';

describe("Druid's error messages", () => {
  it('are taken from errorMessage of a SQL error, not its class', () => {
    expect(extractDruidMessage(SQL_ERROR)).toBe("Object 'nope' not found (line [1], column [15])");
  });

  it('are taken from plain text, as an unknown supervisor is answered', () => {
    expect(describeDruidFailure(404, 'Not Found', 'Cannot find any supervisor with id: [nope]')).toBe('Cannot find any supervisor with id: [nope]');
  });

  it('lose the list of every known type id, but keep the one that was wrong', () => {
    const text = describeDruidFailure(400, 'Bad Request', UNKNOWN_AGGREGATOR);
    expect(text).toContain("Could not resolve type id 'HLLSketchBuildx' as a subtype of AggregatorFactory");
    expect(text).not.toContain('known type ids');
    expect(text).not.toContain('org.apache');
  });

  it('lose Jackson source positions and reference chains, and fit on one line', () => {
    const text = describeDruidFailure(400, 'Bad Request', BAD_IO_CONFIG);
    expect(text).toBe('Cannot construct instance of KafkaSupervisorIOConfig, problem: consumerProperties must contain entry for [bootstrap.servers]');
  });

  it('keep only the first line of a Java stack trace and are cut at 300 characters', () => {
    expect(shortenMessage('java.lang.IllegalStateException: boom\n\tat org.apache.druid.Foo.bar(Foo.java:12)\n\tat x.y(Z.java:1)')).toBe('IllegalStateException: boom');
    const long = shortenMessage('x'.repeat(1000));
    expect(long).toHaveLength(300);
    expect(long.endsWith('…')).toBe(true);
  });

  it('fall back to the HTTP status when Druid said nothing', () => {
    expect(describeDruidFailure(503, 'Service Unavailable', '')).toBe('HTTP 503 Service Unavailable');
    expect(describeDruidFailure(500, '', '{"error":"Unknown exception"}')).toBe('HTTP 500');
  });

  it("use the title of Jetty's HTML error page", () => {
    expect(extractDruidMessage(JETTY_HTML)).toBe('Error 404 Not Found');
  });
});

describe('a missing endpoint', () => {
  it("is a 404 from Jetty itself: empty, its HTML page or its JSON, not Druid's own 404", () => {
    expect(isMissingEndpoint(404, '')).toBe(true);
    expect(isMissingEndpoint(404, JETTY_HTML)).toBe(true);
    expect(isMissingEndpoint(404, JETTY_JSON)).toBe(true);
    expect(isMissingEndpoint(404, 'Cannot find any supervisor with id: [nope]')).toBe(false);
    expect(isMissingEndpoint(400, '')).toBe(false);
  });
});
