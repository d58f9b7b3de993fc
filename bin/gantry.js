#!/usr/bin/env node
// Entry point of the `gantry` command. The server and CLI are TypeScript run by Node's type stripping (Node >= 24).
import '../src/main.ts';
