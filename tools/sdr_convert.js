// Convert an sfdx project's package directories to Metadata API format with the Salesforce
// CLI's own library (@salesforce/source-deploy-retrieve), exactly what `sf project convert
// source` runs. Used by tools/compare_real_repos.py when the `sf` binary cannot start
// (it needs Node 22; the library runs on Node 20).
//   NODE_PATH=<prefix>/node_modules node tools/sdr_convert.js PROJECT_DIR OUT_DIR
// The CLI's HTTP stack (undici 8) needs Node 22 at load time; conversion is offline, so on an
// older Node the module is replaced by an inert stub (load-time `new Agent()` and the like).
const Module = require('module');
const realLoad = Module._load;
const stub = new Proxy(function () {}, {
  get: (_t, key) => (key === '__esModule' ? false : stub),
  apply: () => stub, construct: () => stub,
});
Module._load = function (request, parent, isMain) {
  if (request === 'undici' && Number(process.versions.node.split('.')[0]) < 22) return stub;
  return realLoad.call(this, request, parent, isMain);
};
const path = require('path');
const fs = require('fs');
const { ComponentSet, MetadataConverter } = require('@salesforce/source-deploy-retrieve');

async function main() {
  const [project, out] = process.argv.slice(2).map((p) => path.resolve(p));
  const config = JSON.parse(fs.readFileSync(path.join(project, 'sfdx-project.json'), 'utf8'));
  const dirs = config.packageDirectories.map((d) => path.resolve(project, d.path));
  process.chdir(project); // .forceignore is looked up from the project root
  const set = ComponentSet.fromSource({ fsPaths: dirs });
  await new MetadataConverter().convert(set, 'metadata', {
    type: 'directory', outputDirectory: out, genUniqueDir: false,
  });
}
main().catch((err) => { console.error(err && err.message ? err.message : err); process.exit(1); });
