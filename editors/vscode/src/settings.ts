// The settings the server reads, in the shape of its initializationOptions
// and of its workspace/configuration section "safels":
//
//	{"severity": {"loop": "warning", "concurrent": "error"}}
//
// No vscode import: anything with a get(section) will do, so this is
// testable without an editor.

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'information', 'hint'];

/** The server's defaults: a loop conflict costs parallelism, a concurrent one is a data race. */
export const DEFAULT_SEVERITY: { readonly loop: Severity; readonly concurrent: Severity } = {
    loop: 'warning',
    concurrent: 'error',
};

export interface ServerSettings {
    severity: { loop: Severity; concurrent: Severity };
}

/** The part of vscode.WorkspaceConfiguration (for section "safels") used here. */
export interface ConfigurationLike {
    get<T>(section: string): T | undefined;
}

/**
 * A severity from a setting: one of SEVERITIES (any case; "info" for
 * "information"), else the fallback, so the server never rejects the whole
 * configuration for one bad value.
 */
export function normalizeSeverity(value: unknown, fallback: Severity): Severity {
    if (typeof value !== 'string') {
        return fallback;
    }
    const v = value.trim().toLowerCase();
    if (v === 'info') {
        return 'information';
    }
    return (SEVERITIES as readonly string[]).includes(v) ? (v as Severity) : fallback;
}

/** The settings sent to the server: initializationOptions, workspace/configuration, didChangeConfiguration. */
export function serverSettings(config: ConfigurationLike): ServerSettings {
    return {
        severity: {
            loop: normalizeSeverity(config.get<string>('severity.loop'), DEFAULT_SEVERITY.loop),
            concurrent: normalizeSeverity(config.get<string>('severity.concurrent'), DEFAULT_SEVERITY.concurrent),
        },
    };
}
