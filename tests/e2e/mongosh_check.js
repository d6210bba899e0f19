// tests/e2e/mongosh_check.js -- the check() helper every mongosh script of mongosh_crud.sh
// uses, evaluated just before it: check(name, fn) passes when fn returns true, prints
// "ok - name" or "not ok - name: <what it returned or threw>", and counts in passed / failed.
let passed = 0;
let failed = 0;
function check(name, fn) {
  try {
    const res = fn();
    if (res === true) {
      passed++;
      print(`ok - ${name}`);
    } else {
      failed++;
      print(`not ok - ${name}: ${EJSON.stringify(res)}`);
    }
  } catch (e) {
    failed++;
    print(`not ok - ${name}: threw ${e.codeName || ''} ${e.message}`);
  }
}
