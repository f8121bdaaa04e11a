// Every test worker, and every CLI a test starts, keeps generated pages in a cache of the tests'
// own (kept between test runs, like the user's), not in the user's ~/.cache.
const os = require('os');
const path = require('path');

if (!process.env.RESTORELAB_PAGES_CACHE) process.env.RESTORELAB_PAGES_CACHE = path.join(os.tmpdir(), `rl-test-pages-cache-${os.userInfo().uid}`);
