import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { MatrixReport, parseMatrixReport, renderGrid, renderMatrix } from '../../src/matrix';

// Compiled to out/test/unit: the fixtures stay in test/fixtures.
const fixtures = path.resolve(__dirname, '../../../test/fixtures');

const small: MatrixReport = {
    handlers: [
        { name: 'example.com/srv.handleSend', short: 'handleSend', pos: 'handlers.go:158:6', model: 'loop', hue: 1, colored: true },
        { name: 'example.com/srv.handleIdle', short: 'handleIdle', pos: 'handlers.go:300:6', model: 'loop', hue: 0, colored: false },
    ],
    matrix: [
        ['11', '01'],
        ['01', '00'],
    ],
};

test('the grid is laid out as `safels check -matrix` prints it', () => {
    assert.equal(
        renderGrid(small),
        [
            '                1    2   hue color',
            ' 1 handleSend   11   01     1   ctx',
            ' 2 handleIdle   01   00     -     -',
            '',
        ].join('\n'),
    );
});

test('thttpd: the grid of the JSON report is the CLI text, byte for byte', () => {
    const report = parseMatrixReport(JSON.parse(fs.readFileSync(path.join(fixtures, 'thttpd-matrix.json'), 'utf8')));
    const want = fs.readFileSync(path.join(fixtures, 'thttpd-matrix.txt'), 'utf8');
    assert.equal(report.handlers[3].short, 'handleSend', 'short name derived from the full name');
    assert.equal(renderGrid(report), want);
});

test('the document numbers the handlers with hue, color, model and position', () => {
    const doc = renderMatrix(small);
    assert.match(doc, /^# safels conflict matrix\n/);
    assert.ok(doc.includes('```\n' + renderGrid(small) + '```\n'), doc);
    assert.ok(doc.includes('| 1 | handleSend (example.com/srv.handleSend) | loop | 1 | ctx | handlers.go:158:6 |'), doc);
    assert.ok(doc.includes('| 2 | handleIdle (example.com/srv.handleIdle) | loop | - | - | handlers.go:300:6 |'), doc);
    assert.match(doc, /`b1b0`/);
});

test('no handlers: says so', () => {
    assert.match(renderMatrix({ handlers: [], matrix: [] }), /No handlers found/);
});

test('many handlers: wider numbers and cells stay aligned', () => {
    const n = 120;
    const report: MatrixReport = {
        handlers: Array.from({ length: n }, (_, i) => ({ name: `h${i}`, short: `h${i}`, pos: '', model: 'loop', hue: 0, colored: false })),
        matrix: Array.from({ length: n }, () => Array.from({ length: n }, () => '00')),
    };
    const lines = renderGrid(report).trimEnd().split('\n');
    assert.equal(lines.length, n + 1);
    const lengths = new Set(lines.slice(1).map(l => l.length));
    assert.equal(lengths.size, 1, 'every row as long as the others');
    // As in the CLI, the header is one shorter: numbers sit above the cells' first digit.
    assert.equal(lines[0].length, lines[1].length - 1);
    const lastDigit = lines[0].lastIndexOf('120') + 2;
    const lastCell = lines[n].length - '   hue color'.length - 2;
    assert.equal(lines[n].slice(lastCell, lastCell + 2), '00');
    assert.equal(lastDigit, lastCell, 'the last column number ends above its cells\' first digit');
    assert.match(lines[n], /^120 h119 /);
});

test('parse: accepts the server JSON, as an object or a string', () => {
    const raw = { handlers: [{ name: 'a.h', short: 'h', pos: 'f.go:1:1', model: 'loop', hue: 2, colored: true }], matrix: [['10']] };
    assert.deepEqual(parseMatrixReport(raw), raw);
    assert.deepEqual(parseMatrixReport(JSON.stringify(raw)), raw);
});

test('parse: rejects what is not a matrix report, saying why', () => {
    assert.throws(() => parseMatrixReport(null), /null/);
    assert.throws(() => parseMatrixReport({ handlers: [] }), /"matrix"/);
    assert.throws(() => parseMatrixReport({ handlers: [{ name: 'a' }], matrix: [] }), /0 matrix rows for 1 handlers/);
    assert.throws(() => parseMatrixReport({ handlers: [{ name: 'a' }], matrix: [['00', '00']] }), /row 1/);
    assert.throws(() => parseMatrixReport('{'), /not JSON/);
});

test('markdown special characters in names are escaped', () => {
    const doc = renderMatrix({
        handlers: [{ name: '(*Handler).serve|x', short: 'serve|x', pos: '', model: 'concurrent', hue: 0, colored: false }],
        matrix: [['01']],
    });
    assert.ok(doc.includes('serve\\|x ((\\*Handler).serve\\|x)'), doc);
});
