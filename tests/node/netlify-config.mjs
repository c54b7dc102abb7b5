// Resolve a site's netlify.toml with Netlify's own parser (@netlify/config), offline, in each deploy
// context, and parse the publish folder's _headers and _redirects the way Netlify does.
// Usage: node netlify-config.mjs REPO_ROOT [CONTEXT ...]  ->  one JSON object on stdout.
import { resolveConfig } from '@netlify/config';
import { parseAllHeaders } from '@netlify/headers-parser';
import { parseAllRedirects } from '@netlify/redirect-parser';
import { join } from 'node:path';

const [root, ...contexts] = process.argv.slice(2);
const report = { contexts: {} };
for (const context of contexts.length ? contexts : ['production']) {
  try {
    const result = await resolveConfig({
      cwd: root, repositoryRoot: root, config: join(root, 'netlify.toml'), context, branch: 'main',
      offline: true, buffer: true, mode: 'buildbot', env: {},
    });
    const { build, headers, redirects } = result.config;
    report.contexts[context] = {
      ok: true, build, headers, redirects,
      headersPath: result.headersPath, redirectsPath: result.redirectsPath,
      warnings: [result.logs?.stdout ?? [], result.logs?.stderr ?? []].flat().join('\n').trim(),
    };
  } catch (error) {
    report.contexts[context] = { ok: false, error: String(error?.message ?? error) };
  }
}
// The publish folder's files on their own, with every parse error (resolveConfig only logs them).
const publish = report.contexts.production?.build?.publish ?? join(root, 'public');
const headers = await parseAllHeaders({ headersFiles: [join(publish, '_headers')], configHeaders: [], minimal: false });
const redirects = await parseAllRedirects({ redirectsFiles: [join(publish, '_redirects')], configRedirects: [], minimal: false });
report.files = {
  headers: headers.headers, headersErrors: headers.errors.map(e => String(e.message ?? e)),
  redirects: redirects.redirects, redirectsErrors: redirects.errors.map(e => String(e.message ?? e)),
};
process.stdout.write(JSON.stringify(report, null, 1) + '\n');
