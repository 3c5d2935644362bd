/** Parsed command line of the `switchboard` command (and `npm start`). */
export interface CommandLine {
  configPath?: string;
  port?: number;
  host?: string;
  help: boolean;
  version: boolean;
}

/** The `--help` text. */
export const USAGE = `Usage: switchboard [--config FILE] [--port N] [--host H]
       (from a clone: npm start -- [--config FILE] [--port N] [--host H])
  --config FILE  YAML or JSON config file (default: the embedded demo config, mock providers)
  --port N       port to listen on (default: server.port, 8787; 0 = any free port)
  --host H       address to listen on (default: server.host, 127.0.0.1)
  --help, -h     print this text
  --version, -v  print the version`;

/**
 * Parses `--config FILE`, `--port N`, `--host H` (also `--name=value`), `--help` and `--version`.
 *
 * @throws Error for an unknown flag, a missing value or a bad port.
 *
 * @example
 * ```ts
 * parseCommandLine(['--config', 'switchboard.yaml', '--port=0']); // { configPath: 'switchboard.yaml', port: 0, help: false, version: false }
 * ```
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const result: CommandLine = { help: false, version: false };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index]!;
    if (argument === '--help' || argument === '-h') {
      result.help = true;
      continue;
    }
    if (argument === '--version' || argument === '-v') {
      result.version = true;
      continue;
    }
    const match = /^--(config|port|host)(?:=(.*))?$/.exec(argument);
    if (match === null) throw new Error(`unknown argument '${argument}'`);
    const name = match[1]!;
    let value = match[2];
    if (value === undefined) {
      value = argv[index + 1];
      index += 1;
      if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
    }
    if (name === 'config') result.configPath = value;
    else if (name === 'host') result.host = value;
    else {
      const port = Number(value);
      if (!/^\d+$/.test(value.trim()) || !Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`--port must be an integer from 0 to 65535, got '${value}'`);
      result.port = port;
    }
  }
  return result;
}
