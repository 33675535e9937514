// A tiny stand-in for the `vscode` module, which only exists inside VS Code.
// Importing this file installs a require hook so that `require('vscode')`
// (from the extension and from vscode-languageclient) returns `fake`.
// It records what the extension asks of the editor.

import Module = require('module');

type Listener<T> = (e: T) => unknown;

class Disposable {
    constructor(private readonly f: () => void = () => undefined) {}
    static from(...ds: { dispose(): unknown }[]): Disposable {
        return new Disposable(() => ds.forEach(d => d.dispose()));
    }
    dispose(): void {
        this.f();
    }
}

class EventEmitter<T> {
    private listeners: Listener<T>[] = [];
    event = (l: Listener<T>): Disposable => {
        this.listeners.push(l);
        return new Disposable(() => (this.listeners = this.listeners.filter(x => x !== l)));
    };
    fire(e: T): void {
        this.listeners.forEach(l => l(e));
    }
    dispose(): void {
        this.listeners = [];
    }
}

export interface Recorded {
    errors: { message: string; items: string[] }[];
    infos: { message: string; items: string[] }[];
    terminals: { name: string; sent: string[] }[];
    clipboard: string;
    executed: { command: string; args: unknown[] }[];
    documents: { language?: string; content?: string }[];
    output: string[];
}

export const recorded: Recorded = {
    errors: [],
    infos: [],
    terminals: [],
    clipboard: '',
    executed: [],
    documents: [],
    output: [],
};

/** Settings by full key ("safels.path"). */
export const settings = new Map<string, unknown>();
/** The button the next message will "click" (undefined: dismissed). */
export const answers: { error?: string; info?: string } = {};
export const commands = new Map<string, (...args: unknown[]) => unknown>();
export const configurationChanged = new EventEmitter<{ affectsConfiguration(s: string): boolean }>();

export function reset(): void {
    recorded.errors = [];
    recorded.infos = [];
    recorded.terminals = [];
    recorded.clipboard = '';
    recorded.executed = [];
    recorded.documents = [];
    recorded.output = [];
    settings.clear();
    answers.error = undefined;
    answers.info = undefined;
    commands.clear();
}

class Base {}

export const fake = {
    Disposable,
    EventEmitter,
    ViewColumn: { Active: -1, Beside: -2, One: 1 },
    // Classes vscode-languageclient extends when it loads.
    CompletionItem: class extends Base {},
    CodeLens: class extends Base {},
    DocumentLink: class extends Base {},
    CodeAction: class extends Base {},
    Diagnostic: class extends Base {},
    CallHierarchyItem: class extends Base {},
    TypeHierarchyItem: class extends Base {},
    SymbolInformation: class extends Base {},
    InlayHint: class extends Base {},
    CancellationError: class extends Error {},
    window: {
        createOutputChannel(name: string) {
            return {
                name,
                append: (s: string) => recorded.output.push(s),
                appendLine: (s: string) => recorded.output.push(s),
                clear: () => undefined,
                show: () => undefined,
                hide: () => undefined,
                dispose: () => undefined,
            };
        },
        async showErrorMessage(message: string, ...items: string[]) {
            recorded.errors.push({ message, items });
            return answers.error;
        },
        async showInformationMessage(message: string, ...items: string[]) {
            recorded.infos.push({ message, items });
            return answers.info;
        },
        createTerminal(name: string) {
            const t = { name, sent: [] as string[] };
            recorded.terminals.push(t);
            return { show: () => undefined, sendText: (s: string) => t.sent.push(s), dispose: () => undefined };
        },
        async showTextDocument(doc: unknown) {
            return doc;
        },
    },
    workspace: {
        workspaceFolders: undefined as unknown,
        getConfiguration(section: string) {
            return {
                get<T>(key: string, dflt?: T): T | undefined {
                    const k = `${section}.${key}`;
                    return settings.has(k) ? (settings.get(k) as T) : dflt;
                },
            };
        },
        onDidChangeConfiguration: configurationChanged.event,
        async openTextDocument(opts: { language?: string; content?: string }) {
            recorded.documents.push(opts);
            return opts;
        },
    },
    commands: {
        registerCommand(command: string, f: (...args: unknown[]) => unknown) {
            commands.set(command, f);
            return new Disposable(() => commands.delete(command));
        },
        async executeCommand(command: string, ...args: unknown[]) {
            recorded.executed.push({ command, args });
            return commands.get(command)?.(...args);
        },
    },
    env: {
        clipboard: {
            async writeText(s: string) {
                recorded.clipboard = s;
            },
        },
    },
};

// Install the hook: `vscode` resolves to this module's fake.
const FAKE_ID = '\0fake-vscode';
const mod = Module as unknown as {
    _resolveFilename(request: string, ...rest: unknown[]): string;
    _cache: Record<string, unknown>;
};
const resolve = mod._resolveFilename;
mod._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    return request === 'vscode' ? FAKE_ID : resolve.call(this, request, ...rest);
};
mod._cache[FAKE_ID] = { id: FAKE_ID, filename: FAKE_ID, loaded: true, exports: fake, children: [], paths: [] };
