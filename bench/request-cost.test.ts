import { describe, expect, it } from 'vitest';
import {
  callgrindTotal,
  categoriseFunction,
  formatRequestCostMarkdown,
  instructionsByCategory,
  isCallgrindDumpFileName,
  readSettings,
  requestBody,
  responseProblem,
  summariseGcTrace,
  sumOfCategories,
  type RequestCostReport,
} from './request-cost.ts';

/** The head and tail of a dump written by `callgrind_control -d` (instrumentation was off at start). */
const dumpText = [
  '# callgrind format',
  'version: 1',
  'creator: callgrind-3.19.0',
  'pid: 14295',
  'cmd:  node /work/main/dist/switchboard.mjs --config /tmp/an/gw-cg.json --port 47003 --host 127.0.0.1',
  'part: 1',
  '',
  'desc: Timerange: Basic block 0 - 230126168',
  'desc: Trigger: dump',
  '',
  'positions: line',
  'events: Ir',
  'summary: 0',
  '',
  'ob=(4) /usr/lib/x86_64-linux-gnu/libc.so.6',
  'fl=(32) ./socket/../sysdeps/unix/sysv/linux/setsockopt.c',
  'fn=(2760) setsockopt',
  '94 4',
  '',
  'totals: 1057852005',
  '',
].join('\n');

/** `callgrind_annotate --threshold=100 --auto=no` output, shortened. */
const annotateOutput = `--------------------------------------------------------------------------------
Profile data file 'bench/.out/request-cost/callgrind.stream.out.1' (creator: callgrind-3.19.0)
--------------------------------------------------------------------------------
I1 cache: 
D1 cache: 
LL cache: 
Timerange: Basic block 0 - 230126168
Trigger: dump
Events recorded:  Ir
Events shown:     Ir
Event sort order: Ir
Thresholds:       100
Include dirs:     
User annotated:   
Auto-annotation:  off

--------------------------------------------------------------------------------
Ir                     
--------------------------------------------------------------------------------
1,000,000 (100.0%)  PROGRAM TOTALS

--------------------------------------------------------------------------------
Ir                    file:function
--------------------------------------------------------------------------------
400,000 (40.00%)  ???:0x000000000b4e7a40 [???]
200,000 (20.00%)  ???:Builtins_InterpreterEntryTrampoline [/usr/bin/node]
100,000 (10.00%)  ???:v8::internal::compiler::Scheduler::ComputeSpecialRPO(v8::internal::compiler::BasicBlock*) [/usr/bin/node]
 50,000 ( 5.00%)  ???:v8::internal::maglev::MaglevGraphBuilder::VisitLdaNamedProperty() [/usr/bin/node]
 90,000 ( 9.00%)  ???:v8::internal::Scavenger::ScavengePage(v8::internal::MemoryChunk*) [/usr/bin/node]
 30,000 ( 3.00%)  ???:v8::internal::MarkCompactCollector::ClearNonLiveReferences() [/usr/bin/node]
 40,000 ( 4.00%)  ???:Builtins_JsonStringify [/usr/bin/node]
 10,000 ( 1.00%)  ???:v8::internal::JsonParser<unsigned char>::ParseJsonValue() [/usr/bin/node]
 80,000 ( 8.00%)  ./malloc/./malloc/malloc.c:_int_malloc [/usr/lib/x86_64-linux-gnu/libc.so.6]
      0           ???:uv__io_poll [/usr/bin/node]
`;

/** Real `--trace-gc --trace-gc-nvp` lines (two scavenges, a mark-compact) with a request log line between them. */
const gcLog = [
  '[12081:0x3f811f80]     8517 ms: pause=2.7 mutator=56.5 gc=s reduce_memory=0 time_to_safepoint=0.00 heap.prologue=0.00 scavenge=2.60 scavenge.parallel=1.88 scavenge_throughput=4514030 total_size_before=66475656 total_size_after=53394496 holes_size_before=497752 holes_size_after=737336 allocated=13615384 promoted=275856 new_space_survived=340752 nodes_died_in_new=2 nodes_copied_in_new=0 nodes_promoted=0 promotion_ratio=2.0% average_survival_ratio=4.5% promotion_rate=86.3% new_space_survive_rate_=2.5% new_space_allocation_throughput=196476.8 unmapper_chunks=0',
  '{"time":"2026-12-02T15:26:47.768Z","level":"info","msg":"request","id":"ce0d3082-8313-4f96-8d72-d9cc4c6fd16b","method":"POST","path":"/v1/chat/completions","status":200,"latencyMs":43.37,"model":"gpt-4o-mini","provider":"mock-upstream","attempts":1,"stream":true}',
  '[12081:0x3f811f80]     8594 ms: pause=2.7 mutator=74.4 gc=s reduce_memory=0 time_to_safepoint=0.00 scavenge=2.55 total_size_before=67096480 total_size_after=53625824 allocated=13701984 promoted=277448 new_space_survived=294752 nodes_died_in_new=1 nodes_copied_in_new=0 nodes_promoted=30 promotion_ratio=2.0% unmapper_chunks=0',
  '[12081:0x3f811f80]     8700 ms: pause=14.2 mutator=16.5 gc=mc reduce_memory=0 time_to_safepoint=0.00 evacuate=2.5 mark=0.2 sweep=0.1 total_size_before=23481928 total_size_after=16167144 allocated=108712 promoted=983936 new_space_survived=0 nodes_promoted=0 promotion_ratio=32.8% compaction_speed=697869',
  '',
].join('\n');

describe('callgrindTotal', () => {
  it('takes the totals: line, not the zero summary: header of a dump taken with instrumentation off at start', () => {
    expect(callgrindTotal(dumpText)).toBe(1_057_852_005);
  });

  it('does not add summary: and totals: when both carry the count', () => {
    expect(callgrindTotal('events: Ir\nsummary: 500\nfn=(1) f\n1 500\ntotals: 500\n')).toBe(500);
  });

  it('falls back on summary: and throws on a text that is no dump', () => {
    expect(callgrindTotal('events: Ir\nsummary: 700\n')).toBe(700);
    expect(() => callgrindTotal('hello')).toThrow(/neither/);
  });
});

describe('isCallgrindDumpFileName', () => {
  it('matches the file and its numbered dumps only', () => {
    expect(isCallgrindDumpFileName('callgrind.stream.out', 'callgrind.stream.out')).toBe(true);
    expect(isCallgrindDumpFileName('callgrind.stream.out.1', 'callgrind.stream.out')).toBe(true);
    expect(isCallgrindDumpFileName('callgrind.stream.out.12', 'callgrind.stream.out')).toBe(true);
    expect(isCallgrindDumpFileName('callgrind.stream.out.stderr.log', 'callgrind.stream.out')).toBe(false);
    expect(isCallgrindDumpFileName('callgrind.plain.out.1', 'callgrind.stream.out')).toBe(false);
  });
});

describe('categoriseFunction', () => {
  it('puts each function name in its category, first match winning', () => {
    expect(categoriseFunction('???:v8::internal::compiler::Scheduler::Run() [/usr/bin/node]')).toBe('compiler');
    expect(categoriseFunction('???:v8::internal::maglev::MaglevCompiler::Compile() [/usr/bin/node]')).toBe('compiler');
    expect(categoriseFunction('???:v8::internal::compiler::Heap::Foo() [/usr/bin/node]')).toBe('compiler');
    expect(categoriseFunction('???:v8::internal::Heap::AllocateRaw(int) [/usr/bin/node]')).toBe('gc');
    expect(categoriseFunction('???:v8::internal::MainMarkingVisitor::Visit() [/usr/bin/node]')).toBe('gc');
    expect(categoriseFunction('???:v8::internal::MarkCompactCollector::Sweep() [/usr/bin/node]')).toBe('gc');
    expect(categoriseFunction('???:Builtins_JsonParse [/usr/bin/node]')).toBe('json');
    expect(categoriseFunction('???:v8::internal::JsonStringifier::Serialize_() [/usr/bin/node]')).toBe('json');
    expect(categoriseFunction('???:0x000000000b4e7a40 [???]')).toBe('jit');
    expect(categoriseFunction('???:Builtins_CallFunction_ReceiverIsAny [/usr/bin/node]')).toBe('builtins');
    expect(categoriseFunction('./malloc/./malloc/malloc.c:_int_malloc [/usr/lib/x86_64-linux-gnu/libc.so.6]')).toBe(
      'rest',
    );
  });
});

describe('instructionsByCategory', () => {
  it('adds up the function table by category, leaving out PROGRAM TOTALS', () => {
    const categories = instructionsByCategory(annotateOutput);
    expect(categories).toEqual({
      compiler: 150_000,
      gc: 120_000,
      json: 50_000,
      jit: 400_000,
      builtins: 200_000,
      rest: 80_000,
    });
    expect(sumOfCategories(categories)).toBe(1_000_000);
  });

  it('reads output printed with --show-percs=no too', () => {
    const table = 'Ir           file:function\n------\n1,234,567  ???:Builtins_StringAdd_CheckNone [/usr/bin/node]\n';
    expect(instructionsByCategory(table).builtins).toBe(1_234_567);
  });

  it('finds nothing without a function table', () => {
    expect(sumOfCategories(instructionsByCategory('1,000,000 (100.0%)  PROGRAM TOTALS\n'))).toBe(0);
  });
});

describe('summariseGcTrace', () => {
  it('counts scavenges and mark-compacts and sums allocated and promoted bytes, skipping nodes_promoted and request logs', () => {
    expect(summariseGcTrace(gcLog)).toEqual({
      scavenges: 2,
      markCompacts: 1,
      allocatedBytes: 13_615_384 + 13_701_984 + 108_712,
      promotedBytes: 275_856 + 277_448 + 983_936,
    });
  });

  it('is all zeros for a log without GC lines', () => {
    expect(summariseGcTrace('Switchboard gateway listening on http://127.0.0.1:47005\n')).toEqual({
      scavenges: 0,
      markCompacts: 0,
      allocatedBytes: 0,
      promotedBytes: 0,
    });
  });
});

describe('responseProblem', () => {
  it('accepts a 200 stream ending in [DONE] and a 200 chat.completion', () => {
    expect(responseProblem('stream', 200, 'data: {"choices":[]}\n\ndata: [DONE]\n\n')).toBeUndefined();
    expect(responseProblem('plain', 200, '{"object":"chat.completion","choices":[]}')).toBeUndefined();
  });

  it('rejects another status, a cut stream and a body that is not a completion', () => {
    expect(responseProblem('stream', 502, '{"error":{}}')).toMatch(/^status 502/);
    expect(responseProblem('stream', 200, 'data: {"choices":[]}\n\n')).toMatch(/DONE/);
    expect(responseProblem('plain', 200, '{"object":"error"}')).toMatch(/not a chat.completion/);
    expect(responseProblem('plain', 200, 'data: [DONE]')).toMatch(/not JSON/);
  });
});

describe('readSettings', () => {
  it('defaults to both kinds with each method its own counts', () => {
    const settings = readSettings([]);
    expect(settings.kinds).toEqual(['stream', 'plain']);
    expect([settings.callgrindWarmup, settings.callgrindRequests]).toEqual([6000, 1000]);
    expect([settings.gcWarmup, settings.gcRequests]).toEqual([3000, 10_000]);
  });

  it('sets both methods from --requests and --warmup, and rejects bad values', () => {
    const settings = readSettings(['--kind', 'plain', '--requests', '200', '--warmup', '50', '--skip-gc']);
    expect(settings.kinds).toEqual(['plain']);
    expect([settings.callgrindRequests, settings.gcRequests, settings.callgrindWarmup, settings.gcWarmup]).toEqual([
      200, 200, 50, 50,
    ]);
    expect(settings.skipGc).toBe(true);
    expect(() => readSettings(['--kind', 'chat'])).toThrow(/--kind/);
    expect(() => readSettings(['--requests', '0'])).toThrow(/--requests/);
  });

  it('resolves --checkout to an absolute path', () => {
    expect(readSettings(['--checkout', '/tmp/x/']).checkout).toBe('/tmp/x');
  });
});

describe('requestBody', () => {
  it('asks for a stream only for the stream kind', () => {
    expect(JSON.parse(requestBody('stream')).stream).toBe(true);
    expect(JSON.parse(requestBody('plain')).stream).toBeUndefined();
  });
});

describe('formatRequestCostMarkdown', () => {
  it('prints costs per request, without the compiler, and GC counts per 10k requests', () => {
    const report: RequestCostReport = {
      revision: 'abc1234',
      checkout: '/work/main',
      nodeVersion: 'v20.19.0',
      startedAt: '2026-12-02T16:00:00.000Z',
      seconds: 300,
      settings: readSettings(['--kind', 'stream']),
      instructions: [
        {
          kind: 'stream',
          requests: 1000,
          instructions: 1_000_000_000,
          byCategory: { compiler: 100_000_000, gc: 50_000_000, json: 0, jit: 0, builtins: 0, rest: 850_000_000 },
        },
      ],
      gc: [
        {
          kind: 'stream',
          requests: 10_000,
          scavenges: 60,
          markCompacts: 1,
          allocatedBytes: 800_000_000,
          promotedBytes: 16_000_000,
        },
      ],
    };
    const markdown = formatRequestCostMarkdown(report);
    expect(markdown).toContain('| stream | 1,000,000 | 900,000 | 50,000 | 100,000 | 0 | 0 | 0 | 850,000 |');
    expect(markdown).toContain('| stream | 80,000 | 1,600 | 60.0 | 1.0 |');
  });

  it('leaves out the table of a skipped method', () => {
    const markdown = formatRequestCostMarkdown({
      revision: 'abc1234',
      checkout: '/work/main',
      nodeVersion: 'v20.19.0',
      startedAt: '2026-12-02T16:00:00.000Z',
      seconds: 1,
      settings: readSettings(['--skip-callgrind']),
      instructions: [],
      gc: [],
    });
    expect(markdown).not.toContain('callgrind');
    expect(markdown).not.toContain('trace-gc');
  });
});
