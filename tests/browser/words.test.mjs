// The console's words: every key in both languages, and no key defined
// twice (words_extra.js would silently override i18n.js's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// The keys of the zh and en tables of i18n.js, read from its text (it
// touches localStorage when imported, so it is not imported here).
function tables(text) {
  const out = {};
  for (const lang of ['zh', 'en']) {
    const start = text.indexOf(`\n  ${lang}: {`);
    const end = text.indexOf('\n  },', start);
    out[lang] = [...text.slice(start, end).matchAll(/^ {4}([a-z0-9_]+):/gm)].map((m) => m[1]);
  }
  return out;
}

test('every word in both languages, none defined twice', async () => {
  const base = tables(readFileSync(path.resolve('web/js/i18n.js'), 'utf8'));
  const extra = (await import(pathToFileURL(path.resolve('web/js/words_extra.js')))).default;
  for (const lang of ['zh', 'en']) {
    const dup = base[lang].filter((k, i) => base[lang].indexOf(k) !== i);
    assert.deepEqual(dup, [], `${lang}: defined twice in i18n.js`);
    const both = base[lang].filter((k) => k in extra[lang]);
    assert.deepEqual(both, [], `${lang}: in i18n.js and words_extra.js`);
  }
  assert.deepEqual([...base.zh].sort(), [...base.en].sort(), 'i18n.js: zh and en keys differ');
  assert.deepEqual(Object.keys(extra.zh).sort(), Object.keys(extra.en).sort(), 'words_extra.js: zh and en keys differ');
  // every t('key') the pages use exists
  const all = new Set([...base.zh, ...Object.keys(extra.zh)]);
  const dir = path.resolve('web/js');
  const files = ['main.js', 'ui.js', 'names.js', ...['home', 'map', 'mapkit', 'cases', 'case', 'report', 'dashboard', 'ledgers', 'ledger_entry', 'queues'].map((p) => `pages/${p}.js`)];
  for (const f of files) {
    const src = readFileSync(path.join(dir, f), 'utf8');
    for (const m of src.matchAll(/\bt\('([a-z0-9_]+)'\)/g)) assert.ok(all.has(m[1]), `${f}: t('${m[1]}') has no word`);
  }
});
