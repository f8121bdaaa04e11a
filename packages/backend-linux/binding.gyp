{
  "targets": [
    {
      "target_name": "restorelab_native",
      "sources": [
        "native/addon/addon.cc",
        "native/addon/monitor.cc",
        "native/addon/fault-loop.cc",
        "native/addon/copy-engines.cc",
        "native/addon/copier.cc",
        "native/addon/costs.cc",
        "native/addon/fault-rules.cc",
        "native/addon/reference-modes.cc",
        "native/addon/control-loop.cc",
        "native/addon/criu-lazy-pages.cc",
        "native/addon/forked-tasks.cc",
        "native/addon/criu-push.cc",
        "native/addon/end-report.cc",
        "native/addon/run-dir-io.cc",
        "native/addon/pages-source.cc",
        "native/addon/remote-source.cc",
        "native/addon/page-content.cc",
        "native/addon/thread-priority.cc",
        "native/common/uffd-open.c"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=c++1y", "-std=gnu++20"],
      "libraries": ["-lpthread"]
    },
    {
      "target_name": "restorelab-runner",
      "type": "executable",
      "sources": [
        "native/runner/runner-main.c",
        "native/runner/runner-memory.c",
        "native/runner/runner-link.c",
        "native/runner/runner-replay.c",
        "native/runner/runner-engine.c",
        "native/runner/runner-precopy.c",
        "native/runner/precopy-source.c",
        "native/common/uffd-open.c"
      ],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-pthread"],
      "ldflags": ["-pthread"],
      "libraries": ["-lpthread"]
    },
    {
      "target_name": "restorelab-page-server",
      "type": "executable",
      "sources": ["native/page-server/page-server-main.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-pthread"],
      "ldflags": ["-pthread"],
      "libraries": ["-lpthread"]
    },
    {
      "target_name": "restorelab-snapshot",
      "type": "executable",
      "sources": ["native/snapshot/snapshot-main.c", "native/snapshot/snapshot-inject.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-pthread"],
      "ldflags": ["-pthread"],
      "libraries": ["-lpthread"]
    },
    {
      "target_name": "restorelab-guardian",
      "type": "executable",
      "sources": ["native/guardian/guardian-main.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra"]
    }
  ]
}
