/**
 * Benchmarks, loopback only and bounded in time. Every figure is printed next to a
 * reference measured in the same run, with the ratio: absolute numbers on a shared 2-core
 * machine are noise, ratios are not.
 *
 *   npm run bench                        the scale-out suite (issue 9) and its table
 *   npm run bench -- fanout login        some of its scenarios: floor, graphql-overhead, doors, nested, fanout, login, memory
 *   npm run bench -- search              an earlier scenario: http, conversations, chat-resume, chat-stream, search, knowledge, live, live-audio, xel, profile,
 *                                        tracing, jobs-throughput, jobs-latency, jobs-load
 *   npm run bench -- hardening-soak      the hardening suites (run only when named): hardening-crash, jobs-crash,
 *                                        jobs-takeover, hardening-soak, hardening-slowloris, hardening-documents
 *   npm run bench -- all                 everything but the hardening suites
 *   BENCH_DB=postgresql npm run bench    the earlier scenarios on a scratch PostgreSQL database (the scale
 *                                        suite uses PostgreSQL whenever it answers, for nested reads and fan-out)
 */
import { chatResumeBench } from './chat-resume.js';
import { chatStreamBench } from './chat-stream.js';
import { conversationsBench } from './conversations.js';
import { crashBench } from './hardening-crash.js';
import { jobsCrashBench } from './jobs-crash.js';
import { jobsLatencyBench, jobsLoadBench, jobsThroughputBench } from './jobs-ingest.js';
import { jobsTakeoverBench } from './jobs-takeover.js';
import { documentsBench } from './hardening-documents.js';
import { slowlorisBench } from './hardening-slowloris.js';
import { soakBench } from './hardening-soak.js';
import { httpBench } from './http.js';
import { knowledgeBench } from './knowledge.js';
import { liveBench } from './live.js';
import { liveAudioBench } from './live-audio.js';
import { machine } from './lib.js';
import { scaleBench, scaleScenarios } from './scale.js';
import { profileBench } from './profile.js';
import { searchBench } from './search.js';
import { tracingBench } from './tracing.js';
import { xelBench } from './xel.js';

const earlier: Record<string, () => Promise<void>> = { http: httpBench, conversations: conversationsBench, 'chat-resume': chatResumeBench, 'chat-stream': chatStreamBench, search: searchBench, knowledge: knowledgeBench, live: liveBench, 'live-audio': liveAudioBench, xel: xelBench, profile: profileBench, tracing: tracingBench, 'jobs-throughput': jobsThroughputBench, 'jobs-latency': jobsLatencyBench, 'jobs-load': jobsLoadBench };
const hardening: Record<string, () => Promise<void>> = { 'hardening-crash': crashBench, 'hardening-soak': soakBench, 'hardening-slowloris': slowlorisBench, 'hardening-documents': documentsBench, 'jobs-crash': jobsCrashBench, 'jobs-takeover': jobsTakeoverBench };

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  console.log(`Xentree gateway benchmarks: ${machine()}`);
  const all = args.includes('all');
  // The hardening suites are long and run only when named.
  for (const name of Object.keys(hardening)) if (args.includes(name)) await hardening[name]!();
  const hardeningOnly = args.length > 0 && args.every((a) => a in hardening);
  if (hardeningOnly) return;
  for (const name of Object.keys(earlier)) if (all || args.includes(name)) await earlier[name]!();
  const scale = args.filter((a) => a in scaleScenarios);
  const earlierOnly = !all && args.length > 0 && scale.length === 0;
  if (!earlierOnly) await scaleBench(all ? [] : scale);
}

main().then(
  // Child processes and sockets are closed; anything a library left open must not keep the run alive.
  () => process.exit(0),
  (e: unknown) => {
    // Database errors quote their SQL, which for bulk inserts is megabytes.
    console.error(e instanceof Error ? `${e.name}: ${e.message.slice(0, 500)}` : e);
    process.exit(1);
  },
);
