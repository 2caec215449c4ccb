#!/usr/bin/env node
import { runMain } from './main.js';

runMain(process.argv.slice(2));
