// The conflict matrix of the command safels.matrix, rendered as a Markdown
// document: the grid as `safels check -matrix` prints it, then the handlers
// numbered with their hue and color. Pure functions: no vscode import.

export interface MatrixHandler {
    /** Full name, e.g. "github.com/x/thttpd.handleSend". */
    name: string;
    /** Short name, e.g. "handleSend". */
    short: string;
    /** Declaration, "file:line:col". */
    pos: string;
    /** "loop" or "concurrent". */
    model: string;
    /** Hue (0: none). */
    hue: number;
    /** Whether the handler is colored by its context. */
    colored: boolean;
}

export interface MatrixReport {
    handlers: MatrixHandler[];
    /** matrix[i][j]: "b1b0"; bit 1: conflict on the same context; bit 0: global conflict. */
    matrix: string[][];
}

/**
 * Checks the result of workspace/executeCommand safels.matrix and returns
 * it typed, or throws an Error that says what is wrong with it.
 */
export function parseMatrixReport(value: unknown): MatrixReport {
    if (typeof value === 'string') {
        try {
            value = JSON.parse(value);
        } catch {
            throw new Error('safels.matrix returned a string that is not JSON');
        }
    }
    if (value === null || typeof value !== 'object') {
        throw new Error(`safels.matrix returned ${value === null ? 'null' : typeof value}, not an object`);
    }
    const v = value as { handlers?: unknown; matrix?: unknown };
    if (!Array.isArray(v.handlers) || !Array.isArray(v.matrix)) {
        throw new Error('safels.matrix returned no "handlers" or "matrix" array');
    }
    const handlers: MatrixHandler[] = v.handlers.map((h: unknown, i: number) => {
        if (h === null || typeof h !== 'object') {
            throw new Error(`safels.matrix: handler ${i + 1} is not an object`);
        }
        const o = h as Record<string, unknown>;
        const name = typeof o.name === 'string' ? o.name : '';
        let short = typeof o.short === 'string' && o.short !== '' ? o.short : '';
        if (short === '') {
            short = name.slice(name.lastIndexOf('.') + 1) || `handler${i + 1}`;
        }
        return {
            name: name || short,
            short,
            pos: typeof o.pos === 'string' ? o.pos : '',
            model: typeof o.model === 'string' ? o.model : '',
            hue: typeof o.hue === 'number' ? o.hue : 0,
            colored: o.colored === true,
        };
    });
    const n = handlers.length;
    if (v.matrix.length !== n) {
        throw new Error(`safels.matrix: ${v.matrix.length} matrix rows for ${n} handlers`);
    }
    const matrix = v.matrix.map((row: unknown, i: number) => {
        if (!Array.isArray(row) || row.length !== n) {
            throw new Error(`safels.matrix: row ${i + 1} does not have ${n} cells`);
        }
        return row.map(cell => String(cell));
    });
    return { handlers, matrix };
}

function padEnd(s: string, width: number): string {
    return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

function padStart(s: string, width: number): string {
    return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

/** The hue column: "-" for none. */
export function hueLabel(h: MatrixHandler): string {
    return h.hue > 0 ? String(h.hue) : '-';
}

/** The color column: "ctx" when the handler is colored by its context, else "-". */
export function colorLabel(h: MatrixHandler): string {
    return h.colored ? 'ctx' : '-';
}

/**
 * The grid, laid out as `safels check -matrix` does:
 *
 *                    1    2   hue color
 *     1 handleAccept   11   01     1   ctx
 */
export function renderGrid(report: MatrixReport): string {
    const hs = report.handlers;
    const width = Math.max(7, ...hs.map(h => h.short.length));
    const num = Math.max(2, String(hs.length).length);
    const cell = Math.max(4, String(hs.length).length + 1);
    const lines: string[] = [];
    // As the CLI does, each column number sits above the first digit of its cells.
    let head = ' '.repeat(num + width);
    for (let j = 0; j < hs.length; j++) {
        head += ' ' + padStart(String(j + 1), cell);
    }
    lines.push(head + '   hue color');
    hs.forEach((h, i) => {
        let line = padStart(String(i + 1), num) + ' ' + padEnd(h.short, width);
        for (let j = 0; j < hs.length; j++) {
            line += ' ' + padStart(report.matrix[i][j], cell);
        }
        line += '   ' + padStart(hueLabel(h), 3) + ' ' + padStart(colorLabel(h), 5);
        lines.push(line);
    });
    return lines.join('\n') + '\n';
}

function mdEscape(s: string): string {
    return s.replace(/([\\`*_[\]|<>])/g, '\\$1');
}

/** The whole document shown by the command "safels: Show Conflict Matrix". */
export function renderMatrix(report: MatrixReport, title = 'safels conflict matrix'): string {
    const out: string[] = [`# ${title}`, ''];
    if (report.handlers.length === 0) {
        out.push('No handlers found (yet): the analysis may still be running, or the workspace registers none.', '');
        return out.join('\n');
    }
    out.push(
        'Each cell is `b1b0` for a pair of handlers (row, column): bit 0 (`01`) they conflict on shared state',
        'whatever their contexts; bit 1 (`10`) they conflict only when invoked on the same context;',
        '`11` both; `00` they may run in parallel.',
        '',
        '```',
        renderGrid(report).replace(/\n$/, ''),
        '```',
        '',
        '| # | handler | model | hue | color | declared at |',
        '| ---: | --- | --- | ---: | --- | --- |',
    );
    report.handlers.forEach((h, i) => {
        const name = h.name && h.name !== h.short ? `${mdEscape(h.short)} (${mdEscape(h.name)})` : mdEscape(h.short);
        out.push(
            `| ${i + 1} | ${name} | ${mdEscape(h.model || '-')} | ${hueLabel(h)} | ${colorLabel(h)} | ${mdEscape(h.pos || '-')} |`,
        );
    });
    out.push(
        '',
        'Handlers of one hue are serialized by the runtime; a colored handler (`ctx`) is serialized',
        'only with invocations on the same context.',
        '',
    );
    return out.join('\n');
}
