import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSchemas } from '../contract/schemas.js';
import { packageRoot } from '../local/paths.js';
import { checkSpecAgainstSchema, schemaFieldTypes } from './schema-check.js';
import { renderSpec, SpecError, type DruidSpecDefinition, type RenderedSpec, type RenderOptions } from './specs.js';

/** specs/druid/ of the installed package (the same from src/ under vitest and from dist/). */
export function specDir(): string {
  return join(packageRoot(), 'specs', 'druid');
}

export function loadSpecTemplate(name: string): unknown {
  const file = join(specDir(), `${name}.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpecError(`cannot read the spec template ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SpecError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Problems between a rendered spec and its topic's JSON Schema; empty when they agree. */
export function schemaProblems(def: DruidSpecDefinition, spec: unknown): string[] {
  const fields = schemaFieldTypes(def.topic.schema, loadSchemas());
  return checkSpecAgainstSchema(spec, fields, { complete: def.completeExcept !== undefined, except: def.completeExcept ?? [] });
}

/** Reads, fills in and checks each template; a template that disagrees with its schema is refused. */
export function prepareSpecs(defs: readonly DruidSpecDefinition[], opts: RenderOptions): RenderedSpec[] {
  return defs.map((def) => {
    const rendered = renderSpec(def, loadSpecTemplate(def.name), opts);
    const problems = schemaProblems(def, rendered.spec);
    if (problems.length > 0) {
      throw new SpecError(`specs/druid/${def.name}.json disagrees with schemas/${def.topic.schema}: ${problems.join('; ')}`);
    }
    return rendered;
  });
}
