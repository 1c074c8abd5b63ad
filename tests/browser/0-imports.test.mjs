// The console's module graph, read from the sources (no server, no browser): every relative
// import names a file that exists, nothing imports a bare specifier (there is no build step),
// every module is reached from main.js, and no module imports itself through others (a cycle).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONSOLE = resolve(dirname(fileURLToPath(import.meta.url)), '../../console');

/** The specifiers a module imports: static imports, re-exports, and import('…') with a literal. */
export function importsOf(source) {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '');
  const specs = [];
  const staticRe = /(?:^|[;}\n])[ \t]*(?:import|export)[ \t\n]+(?:[\w$*{}, \t\n]+?[ \t\n]+from[ \t\n]*)?(['"])([^'"\n]+)\1/g;
  const dynamicRe = /\bimport[ \t\n]*\([ \t\n]*(['"`])([^'"`\n]+)\1[ \t\n]*\)/g;
  for (const m of code.matchAll(staticRe)) specs.push(m[2]);
  for (const m of code.matchAll(dynamicRe)) specs.push(m[2]);
  return specs;
}

/** {graph: Map file -> [file], problems: [message]} for every console/*.js. */
function readGraph() {
  const files = readdirSync(CONSOLE).filter((f) => f.endsWith('.js')).sort();
  const graph = new Map();
  const problems = [];
  for (const file of files) {
    const deps = [];
    for (const spec of importsOf(readFileSync(join(CONSOLE, file), 'utf8'))) {
      if (!spec.startsWith('./') && !spec.startsWith('../') && !spec.startsWith('/')) {
        problems.push(`${file} imports ${spec}: a bare specifier (the console has no build step)`);
        continue;
      }
      const target = spec.startsWith('/console/') ? join(CONSOLE, spec.slice('/console/'.length)) : resolve(CONSOLE, spec);
      const name = relative(CONSOLE, target);
      if (!existsSync(target)) problems.push(`${file} imports ${spec}, which does not exist`);
      else if (name.startsWith('..') || name.includes('/')) problems.push(`${file} imports ${spec}, outside console/`);
      else deps.push(name);
    }
    graph.set(file, [...new Set(deps)]);
  }
  return { graph, problems };
}

/** Every cycle's modules (strongly connected components with an edge back), each as a path a → b → a. */
export function cycles(graph) {
  // Tarjan's strongly connected components.
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) || []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
      components.push(comp);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  const found = [];
  for (const comp of components) {
    const members = new Set(comp);
    const start = comp.slice().sort()[0];
    if (comp.length === 1 && !(graph.get(start) || []).includes(start)) continue;
    // A shortest path back to the start inside the component names one concrete cycle.
    const prev = new Map([[start, null]]);
    const queue = [start];
    let end = null;
    while (queue.length && !end) {
      const v = queue.shift();
      for (const w of graph.get(v) || []) {
        if (w === start) { end = v; break; }
        if (members.has(w) && !prev.has(w)) { prev.set(w, v); queue.push(w); }
      }
    }
    const path = [];
    for (let v = end; v !== null; v = prev.get(v)) path.unshift(v);
    found.push({ modules: comp.slice().sort(), path: [...path, start] });
  }
  return found;
}

test('every console module imports only files that exist', () => {
  const { graph, problems } = readGraph();
  assert.ok(graph.size > 1 && [...graph.values()].some((deps) => deps.length), 'the console modules and their imports were read');
  assert.deepEqual(problems, []);
});

test('every console module is reached from main.js', () => {
  const { graph } = readGraph();
  assert.match(readFileSync(join(CONSOLE, 'index.html'), 'utf8'), /<script type="module" src="\/console\/main\.js">/);
  const seen = new Set(['main.js']);
  const queue = ['main.js'];
  while (queue.length) for (const d of graph.get(queue.shift()) || []) if (!seen.has(d)) { seen.add(d); queue.push(d); }
  assert.deepEqual([...graph.keys()].filter((f) => !seen.has(f)), [], 'modules nothing imports');
});

test('the console modules import each other without a cycle', () => {
  const { graph } = readGraph();
  const found = cycles(graph);
  assert.ok(found.length === 0, `import cycles:\n${found.map((c) => `  ${c.path.join(' → ')}  (modules in the cycle: ${c.modules.join(', ')})`).join('\n')}`);
});

test('the cycle check finds a cycle (self-test)', () => {
  const graph = new Map([['a.js', ['b.js']], ['b.js', ['c.js']], ['c.js', ['a.js', 'd.js']], ['d.js', []], ['e.js', ['e.js']]]);
  assert.deepEqual(cycles(graph).map((c) => c.path.join(' → ')).sort(), ['a.js → b.js → c.js → a.js', 'e.js → e.js']);
  assert.deepEqual(importsOf("import { a,\n  b } from './x.js';\nimport './y.js';\nexport { c } from \"./z.js\";\n// import q from './no.js'\nconst m = await import('./w.js');"),
    ['./x.js', './y.js', './z.js', './w.js']);
});
