// Validates a MapLibre style against the style specification (@maplibre/maplibre-gl-style-spec,
// the validator MapLibre GL itself uses). Used by api_county_layers_http_test on /style.json.
// Usage: node validate-style.mjs FILE.json   (exit 0 when valid; the errors on stderr otherwise)
import { readFileSync } from 'node:fs';
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate-style.mjs FILE.json');
  process.exit(2);
}
const style = JSON.parse(readFileSync(file, 'utf8'));
const errors = validateStyleMin(style);
if (errors.length) {
  for (const e of errors) console.error(`invalid: ${e.message}`);
  process.exit(1);
}
console.log(`valid: ${Object.keys(style.sources).length} sources, ${style.layers.length} layers`);
