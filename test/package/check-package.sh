#!/usr/bin/env bash
# The package as a user gets it: `npm pack`, install the tarball into a fresh project, then
# (a) plain JavaScript routes a chat completion through Router + createMockProvider (no tsx),
# (b) a NodeNext TypeScript project with skipLibCheck false type-checks, and fails on a type error,
# (c) node_modules/.bin/switchboard serves /health, and --version / --help answer,
# (d) the tarball holds no test, fixture or bench file,
# (e) an install from a git URL builds itself (the `prepare` script) and routes the same way.
# Needs the npm registry (or its cache) for the runtime dependencies only; TypeScript and
# @types/node come from this repository's node_modules.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-package-XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "check-package: FAIL: $*" >&2
  exit 1
}

echo "check-package: node $(node --version), packing"
tarball="$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)"
tarball="$work/$tarball"
[ -f "$tarball" ] || fail "npm pack produced no tarball"

# (d) what the tarball holds
listing="$(tar -tzf "$tarball")"
count="$(printf '%s\n' "$listing" | wc -l)"
if printf '%s\n' "$listing" | grep -E '\.test\.|/test-support/|/fixtures/|^package/(test|bench|simulations|docs|deploy)/|\.ts$' \
  | grep -v '\.d\.ts$'; then
  fail "the tarball holds test, fixture, bench or source files (listed above)"
fi
for required in package/dist/src/index.js package/dist/src/index.d.ts package/dist/cli/switchboard.js \
  package/README.md package/LICENSE; do
  printf '%s\n' "$listing" | grep -qx "$required" || fail "the tarball lacks $required"
done
echo "check-package: (d) the tarball holds $count files, none of them tests, fixtures, bench or sources"

# A consumer project.
consumer="$work/consumer"
mkdir -p "$consumer"
cat >"$consumer/package.json" <<'JSON'
{ "name": "switchboard-consumer", "version": "1.0.0", "private": true, "type": "module" }
JSON
(cd "$consumer" && npm install --no-audit --no-fund --prefer-offline --loglevel=error "$tarball" >/dev/null)

# (a) plain JavaScript, plain node
cat >"$consumer/route.js" <<'JS'
import { Router, ModelNotFoundError } from 'switchboard';
import { createMockProvider } from 'switchboard/providers';

const router = new Router({ strategy: 'round_robin' });
router.registerProvider(createMockProvider({ name: 'mock', models: ['gpt-4o-mini'] }));
const { completion, provider } = await router.chatCompletion({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Hello from JS' }],
});
const missing = await router.chatCompletion({ model: 'nope', messages: [] }).catch((error) => error);
console.log(JSON.stringify({ provider, content: completion.choices[0].message.content, missing: ModelNotFoundError.isInstance(missing) }));
JS
output="$(cd "$consumer" && node route.js)"
[ "$output" = '{"provider":"mock","content":"Echo: Hello from JS","missing":true}' ] ||
  fail "(a) plain JS routing printed: $output"
echo "check-package: (a) plain JavaScript on node routed a chat completion: $output"

# (b) TypeScript, NodeNext, skipLibCheck false
mkdir -p "$consumer/node_modules/@types"
ln -sfn "$root/node_modules/@types/node" "$consumer/node_modules/@types/node"
cat >"$consumer/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "skipLibCheck": false,
    "noEmit": true,
    "types": ["node"]
  },
  "files": ["good.ts"]
}
JSON
cat >"$consumer/good.ts" <<'TS'
import { Router, type ProviderStatus, type SelectionStrategy } from 'switchboard';
import { createMockProvider, createProvider } from 'switchboard/providers';
import { bootstrap, startServer } from 'switchboard/bootstrap';
import { parseConfig, type SwitchboardConfig } from 'switchboard/config';
import { createGateway } from 'switchboard/gateway';
import { createMetrics } from 'switchboard/metrics';
import type { ProviderAdapter } from 'switchboard/contract';

const first: SelectionStrategy = { name: 'first', choose: () => 0, rank: (candidates) => [...candidates] };
const router = new Router({ strategy: first });
const adapter: ProviderAdapter = createMockProvider({ name: 'mock', models: ['m'] });
router.registerProvider(adapter);
router.registerProvider(createProvider({ name: 'other', type: 'mock', models: ['m'] }));
const status: ProviderStatus | undefined = router.healthStatus().mock;
const config: SwitchboardConfig = parseConfig({ server: { port: 0 } }, { env: {} });
const app = createGateway({ router, metrics: createMetrics({ router }), apiKeys: ['k'] });
export { app, bootstrap, config, startServer, status };
TS
cat >"$consumer/bad.ts" <<'TS'
import { Router } from 'switchboard';
new Router({ strategy: 'fastest' });
TS
tsc="$root/node_modules/typescript/bin/tsc"
(cd "$consumer" && node "$tsc" -p tsconfig.json) || fail "(b) the correct TypeScript consumer does not type-check"
set +e
bad_output="$(cd "$consumer" && node "$tsc" --target ES2022 --module NodeNext --moduleResolution NodeNext --strict \
  --skipLibCheck false --noEmit --types node bad.ts 2>&1)"
bad_status=$?
set -e
[ "$bad_status" -ne 0 ] || fail "(b) tsc accepted a deliberate type error"
printf '%s\n' "$bad_output" | grep -q "bad.ts(2,.*error TS2322" || fail "(b) tsc failed, but not on the deliberate error: $bad_output"
echo "check-package: (b) NodeNext + skipLibCheck false: good.ts type-checks, bad.ts fails with TS2322"

# (c) the bin
bin="$consumer/node_modules/.bin/switchboard"
[ -x "$bin" ] || fail "(c) node_modules/.bin/switchboard is missing or not executable"
version="$("$bin" --version)"
[ "$version" = "switchboard $(node -p "require('$root/package.json').version")" ] || fail "(c) --version printed '$version'"
"$bin" --help | grep -q -- '--config FILE' || fail "(c) --help does not show the usage"
port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
(cd "$consumer" && OPENAI_API_KEY='' ANTHROPIC_API_KEY='' exec "$bin" --port "$port" >"$work/server.log" 2>&1) &
server_pid=$!
healthy=""
for _ in $(seq 1 100); do
  if node -e "fetch('http://127.0.0.1:$port/health').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"; then
    healthy=yes
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$healthy" ] || fail "(c) switchboard --port $port never served /health: $(cat "$work/server.log")"
answer="$(node -e "fetch('http://127.0.0.1:$port/v1/chat/completions',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({model:'gpt-4o-mini',messages:[{role:'user',content:'Hi'}]})}).then(r=>r.json()).then(b=>console.log(b.choices[0].message.content))")"
[ "$answer" = "Echo: Hi" ] || fail "(c) the demo answered '$answer'"
kill -TERM "$server_pid"
wait "$server_pid" || fail "(c) switchboard did not exit 0 on SIGTERM"
server_pid=""
echo "check-package: (c) node_modules/.bin/switchboard $version served /health and the demo on port $port, exited 0 on SIGTERM"

# (e) installed from a git URL: npm clones the repository, installs its devDependencies and runs
# `prepare` (the build), so the same import works without a tarball. Skipped outside a git checkout.
if git -C "$root" rev-parse --verify -q HEAD >/dev/null; then
  from_git="$work/from-git"
  mkdir -p "$from_git"
  cp "$consumer/package.json" "$consumer/route.js" "$from_git/"
  (cd "$from_git" && npm install --no-audit --no-fund --prefer-offline --loglevel=error \
    "git+file://$root#$(git -C "$root" rev-parse HEAD)" >/dev/null) || fail "(e) npm install from the git URL failed"
  git_output="$(cd "$from_git" && node route.js)"
  [ "$git_output" = "$output" ] || fail "(e) routing from the git install printed: $git_output"
  echo "check-package: (e) installed from git+file://, plain JavaScript routed a chat completion"
fi
echo "check-package: OK"
