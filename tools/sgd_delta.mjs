// Run sfdx-git-delta's library (what `sf sgd source delta` runs) on two commits of a repository.
// Used by tools/compare_real_repos.py: the `sf` binary needs Node 22, the library runs on 20
// once the CLI's HTTP stack (undici 8, unused offline) is replaced by an inert stub.
//   NODE_PATH=<prefix>/node_modules node tools/sgd_delta.mjs REPO FROM TO OUT_DIR
import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';

const require = createRequire(path.join(process.env.NODE_PATH || '.', 'noop.js'));
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

const [repo, from, to, out] = process.argv.slice(2);
fs.mkdirSync(out, { recursive: true });
const { default: sgd } = await import(require.resolve('sfdx-git-delta'));
const work = await sgd({
  from, to, output: path.resolve(out), repo: path.resolve(repo), source: ['./'],
  generateDelta: false, ignoreWhitespace: false, apiVersion: undefined,
});
for (const warning of work.warnings) console.error(`warning: ${warning.message || warning}`);
