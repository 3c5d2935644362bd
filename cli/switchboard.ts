#!/usr/bin/env node
/** The `switchboard` command and `npm start`: `switchboard [--config FILE] [--port N] [--host H]`. */
import { main } from './main.ts';

await main();
