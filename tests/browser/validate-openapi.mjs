// Validates an OpenAPI document against the OpenAPI 3.0 schema and resolves every $ref
// (@apidevtools/swagger-parser). Used by api_features_http_test on onemap's /api.
// Usage: node validate-openapi.mjs FILE.json   (exit 0 when valid; the errors on stderr otherwise)
import SwaggerParser from '@apidevtools/swagger-parser';

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate-openapi.mjs FILE.json');
  process.exit(2);
}
try {
  const api = await SwaggerParser.validate(file);
  console.log(`valid: OpenAPI ${api.openapi}, ${Object.keys(api.paths).length} paths`);
} catch (err) {
  console.error(`invalid: ${err.message}`);
  process.exit(1);
}
