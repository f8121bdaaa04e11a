// N-API surface of the native backend: the Monitor, the clock, the userfaultfd probe and the
// kernel cost measurements. Loaded by src/native-binding.ts only.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <memory>
#include <mutex>
#include <string>

#include "../common/uffd-compat.h"
#include "../common/uffd-open.h"
#include "costs.h"
#include "monitor.h"
#include "page-content.h"
#include "thread-priority.h"

namespace restorelab {

namespace {

const char* const kFeatureNames[] = RL_UFFD_FEATURE_NAMES;

Napi::Object errnoInfo(Napi::Env env, bool ok, int e) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", ok);
  o.Set("errno", e);
  o.Set("code", e ? Napi::String::New(env, strerrorname_np(e) ? strerrorname_np(e) : "") : Napi::String::New(env, ""));
  o.Set("message", e ? Napi::String::New(env, std::strerror(e)) : Napi::String::New(env, ""));
  return o;
}

}  // namespace

class MonitorWrap : public Napi::ObjectWrap<MonitorWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Monitor",
                       {InstanceMethod("start", &MonitorWrap::Start), InstanceMethod("stop", &MonitorWrap::Stop),
                        InstanceMethod("ringBuffer", &MonitorWrap::RingBuffer), InstanceMethod("drain", &MonitorWrap::Drain),
                        InstanceMethod("waitEvents", &MonitorWrap::WaitEvents),
                        InstanceMethod("submitCopy", &MonitorWrap::SubmitCopy),
                        InstanceMethod("submitMadvise", &MonitorWrap::SubmitMadvise),
                        InstanceMethod("setFaultRules", &MonitorWrap::SetFaultRules),
                        InstanceMethod("releaseRunners", &MonitorWrap::ReleaseRunners), InstanceMethod("error", &MonitorWrap::Error),
                        InstanceMethod("stats", &MonitorWrap::Stats), InstanceMethod("osPid", &MonitorWrap::OsPid),
                        InstanceMethod("uffdFeatures", &MonitorWrap::UffdFeatures)});
  }

  explicit MonitorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MonitorWrap>(info) {
    Napi::Object cfg = info[0].As<Napi::Object>();
    MonitorConfig c;
    c.dir = cfg.Get("dir").As<Napi::String>().Utf8Value();
    c.t0 = cfg.Get("t0").As<Napi::Number>().DoubleValue();
    std::string mode = cfg.Has("mode") ? cfg.Get("mode").As<Napi::String>().Utf8Value() : "backend";
    if (mode == "backend") c.mode = MonitorMode::Backend;
    else if (mode == "reference-fault") c.mode = MonitorMode::ReferenceFault;
    else if (mode == "reference-eager") c.mode = MonitorMode::ReferenceEager;
    else throw Napi::Error::New(info.Env(), "unknown monitor mode " + mode);
    // masks as numbers: CPUs 0..52 fit a double exactly
    if (cfg.Has("faultCpuMask")) c.faultCpuMask = static_cast<uint64_t>(cfg.Get("faultCpuMask").As<Napi::Number>().DoubleValue());
    if (cfg.Has("copierCpuMask")) c.copierCpuMask = static_cast<uint64_t>(cfg.Get("copierCpuMask").As<Napi::Number>().DoubleValue());
    if (cfg.Has("inlineCopies")) c.inlineCopies = cfg.Get("inlineCopies").As<Napi::Boolean>().Value();
    if (cfg.Has("awaitConsumer")) c.awaitConsumer = cfg.Get("awaitConsumer").As<Napi::Boolean>().Value();
    if (cfg.Has("notifyIntervalNs")) c.notifyIntervalNs = cfg.Get("notifyIntervalNs").As<Napi::Number>().DoubleValue();
    if (cfg.Has("ringCapacity")) {
      uint64_t cap = static_cast<uint64_t>(cfg.Get("ringCapacity").As<Napi::Number>().Int64Value());
      if (cap < 64 || (cap & (cap - 1))) throw Napi::Error::New(info.Env(), "ringCapacity must be a power of two >= 64");
      c.ringCapacity = cap;
    }
    if (cfg.Has("criuSocket")) {
      c.criuSocket = cfg.Get("criuSocket").As<Napi::String>().Utf8Value();
      c.guardianPath = cfg.Get("guardianPath").As<Napi::String>().Utf8Value();
      Napi::Array files = cfg.Get("sourceFiles").As<Napi::Array>();
      for (uint32_t i = 0; i < files.Length(); i++) c.sourceFiles.push_back(files.Get(i).As<Napi::String>().Utf8Value());
      Napi::Float64Array runs = cfg.Get("sourceRuns").As<Napi::Float64Array>();
      for (size_t i = 0; i + 3 < runs.ElementLength(); i += 4)
        c.sourceRuns.push_back(PagesSource::Run{static_cast<uint32_t>(runs[i]), static_cast<uint64_t>(runs[i + 1]), static_cast<uint64_t>(runs[i + 2]),
                                                static_cast<uint64_t>(runs[i + 3])});
    }
    if (cfg.Has("remote")) {
      Napi::Object r = cfg.Get("remote").As<Napi::Object>();
      c.remote.host = r.Get("host").As<Napi::String>().Utf8Value();
      c.remote.port = static_cast<uint16_t>(r.Get("port").As<Napi::Number>().Uint32Value());
      c.remote.channels = static_cast<int>(r.Get("channels").As<Napi::Number>().Int32Value());
      if (r.Has("token")) c.remote.token = r.Get("token").As<Napi::String>().Utf8Value();
    }
    monitor_ = std::make_unique<Monitor>(c);
  }

  ~MonitorWrap() override {
    if (monitor_) monitor_->stop();
    releaseTsfn();
  }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    tsfn_ = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "restorelab-monitor", 0, 1);
    haveTsfn_ = true;
    auto tsfn = tsfn_;
    try {
      monitor_->start([tsfn]() mutable { tsfn.NonBlockingCall(); });
    } catch (const std::exception& e) {
      monitor_->stop();
      releaseTsfn();
      throw Napi::Error::New(env, e.what());
    }
    return env.Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    monitor_->stop();
    releaseTsfn();
    return info.Env().Undefined();
  }

  Napi::Value RingBuffer(const Napi::CallbackInfo& info) {
    auto ring = monitor_->ring();
    auto* keep = new std::shared_ptr<EventRing>(ring);
    return Napi::ArrayBuffer::New(
        info.Env(), ring->data(), ring->bytes(), [](Napi::Env, void*, std::shared_ptr<EventRing>* k) { delete k; }, keep);
  }

  Napi::Value Drain(const Napi::CallbackInfo& info) {
    uint64_t consumed = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
    return Napi::Number::New(info.Env(), static_cast<double>(monitor_->drain(consumed)));
  }

  // Blocks the calling (JS) thread: see EventRing::waitFor.
  Napi::Value WaitEvents(const Napi::CallbackInfo& info) {
    uint64_t consumed = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
    const double spinNs = info[1].As<Napi::Number>().DoubleValue();
    const double blockNs = info[2].As<Napi::Number>().DoubleValue();
    monitor_->serveInline();
    return Napi::Boolean::New(info.Env(), monitor_->ring()->waitFor(consumed, spinNs, blockNs));
  }

  Napi::Value SubmitCopy(const Napi::CallbackInfo& info) {
    monitor_->submitCopy(info[0].As<Napi::Number>().Uint32Value(), static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value()),
                         static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value()), info[3].As<Napi::Number>().Uint32Value(),
                         info[4].As<Napi::Number>().Uint32Value(), info[5].As<Napi::Number>().DoubleValue(),
                         info[6].As<Napi::Number>().DoubleValue());
    return info.Env().Undefined();
  }

  // (proc, stride, strideCount, offsets: Uint32Array | null, targets: Uint32Array | null, reactsTo, log)
  Napi::Value SetFaultRules(const Napi::CallbackInfo& info) {
    const uint32_t* offsets = nullptr;
    const uint32_t* targets = nullptr;
    size_t nOffsets = 0, nTargets = 0;
    if (info[3].IsTypedArray() && info[4].IsTypedArray()) {
      auto o = info[3].As<Napi::Uint32Array>();
      auto t = info[4].As<Napi::Uint32Array>();
      offsets = o.Data();
      nOffsets = o.ElementLength();
      targets = t.Data();
      nTargets = t.ElementLength();
    }
    monitor_->setFaultRules(info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Number>().Int64Value(),
                            info[2].As<Napi::Number>().Uint32Value(), offsets, nOffsets, targets, nTargets,
                            info[5].As<Napi::Number>().DoubleValue(), info[6].As<Napi::Boolean>().Value());
    return info.Env().Undefined();
  }

  Napi::Value SubmitMadvise(const Napi::CallbackInfo& info) {
    monitor_->submitMadvise(info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Number>().Uint32Value(),
                            info[2].As<Napi::Number>().Uint32Value());
    return info.Env().Undefined();
  }

  Napi::Value ReleaseRunners(const Napi::CallbackInfo& info) {
    monitor_->releaseRunners();
    return info.Env().Undefined();
  }

  Napi::Value Error(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), monitor_->error()); }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    MonitorStats s = monitor_->stats();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("faults", static_cast<double>(s.faults));
    o.Set("faultNsTotal", static_cast<double>(s.faultNsTotal));
    o.Set("spuriousFaults", static_cast<double>(s.spuriousFaults));
    o.Set("precopyPages", static_cast<double>(s.precopyPages));
    o.Set("precopyNs", s.precopyNs);
    o.Set("goT", s.goT);
    o.Set("endT", s.endT);
    o.Set("ringOverflowed", static_cast<double>(s.ringOverflowed));
    o.Set("copierCommands", static_cast<double>(s.copierCommands));
    o.Set("sourceDrops", static_cast<double>(s.sourceDrops));
    o.Set("remoteRequests", static_cast<double>(s.remoteRequests));
    o.Set("forkedTasks", static_cast<double>(s.forkedTasks));
    o.Set("forkedFaults", static_cast<double>(s.forkedFaults));
    o.Set("forkedPushed", static_cast<double>(s.forkedPushed));
    o.Set("faultThreadPolicy", faultThreadPolicyName(static_cast<FaultThreadPolicy>(s.faultThreadPolicy)));
    return o;
  }

  Napi::Value OsPid(const Napi::CallbackInfo& info) {
    uint32_t i = info[0].As<Napi::Number>().Uint32Value();
    if (i >= monitor_->processCount()) return Napi::Number::New(info.Env(), -1);
    return Napi::Number::New(info.Env(), monitor_->osPid(i));
  }

  Napi::Value UffdFeatures(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(monitor_->uffdFeatures()));
  }

  void releaseTsfn() {
    if (haveTsfn_) {
      haveTsfn_ = false;
      tsfn_.Release();
    }
  }

  std::unique_ptr<Monitor> monitor_;
  Napi::ThreadSafeFunction tsfn_;
  bool haveTsfn_ = false;
};

Napi::Value Now(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Monitor::now()); }

// How (and whether) this process can open a userfaultfd, each way tried on its own, and what
// the kernel supports.
Napi::Value Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int flags = O_CLOEXEC | O_NONBLOCK;
  int sysErr = 0, userErr = 0, devErr = 0;
  int fds[3] = {-1, -1, -1};
#ifdef __NR_userfaultfd
  fds[0] = static_cast<int>(syscall(__NR_userfaultfd, flags));
  if (fds[0] < 0) sysErr = errno;
  fds[1] = static_cast<int>(syscall(__NR_userfaultfd, flags | UFFD_USER_MODE_ONLY));
  if (fds[1] < 0) userErr = errno;
#else
  sysErr = userErr = ENOSYS;
#endif
  int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
  if (dev < 0) {
    devErr = errno;
  } else {
    fds[2] = ioctl(dev, USERFAULTFD_IOC_NEW, flags);
    if (fds[2] < 0) devErr = errno;
    close(dev);
  }
  const char* const vias[3] = {"syscall", "syscall-user-mode-only", "device"};
  const char* via = "none";
  uint64_t features = 0, ioctls = 0;
  int apiErr = 0;
  bool apiOk = false, tried = false;
  for (int i = 0; i < 3; i++) {
    if (fds[i] < 0) continue;
    if (!tried) {
      tried = true;
      via = vias[i];
      apiOk = rl_uffd_api(fds[i], 0, &features, &ioctls) == 0;
      if (!apiOk) apiErr = errno;
    }
    close(fds[i]);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", tried && apiOk);
  o.Set("via", via);
  o.Set("syscall", errnoInfo(env, fds[0] >= 0, sysErr));
  o.Set("userModeOnly", errnoInfo(env, fds[1] >= 0, userErr));
  o.Set("device", errnoInfo(env, fds[2] >= 0, devErr));
  o.Set("api", errnoInfo(env, apiOk, apiErr));
  o.Set("features", static_cast<double>(features));
  o.Set("ioctls", static_cast<double>(ioctls));
  Napi::Array names = Napi::Array::New(env);
  for (uint32_t i = 0; i < RL_UFFD_FEATURE_COUNT; i++) names.Set(i, kFeatureNames[i]);
  o.Set("featureNames", names);
  return o;
}

// Pins the calling (JavaScript) thread to the CPUs of a mask (0: leaves it); returns the mask it had.
Napi::Value PinCurrentThread(const Napi::CallbackInfo& info) {
  const uint64_t before = threadCpuMask();
  const uint64_t mask = static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue());
  pinThread(mask);
  return Napi::Number::New(info.Env(), static_cast<double>(before));
}

// How the fault thread would be scheduled in this process, and why SCHED_FIFO was refused.
Napi::Value ProbeFaultThread(const Napi::CallbackInfo& info) {
  int e = 0;
  const FaultThreadPolicy p = probeFaultThreadPolicy(&e);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("policy", faultThreadPolicyName(p));
  o.Set("fifo", errnoInfo(info.Env(), p == FaultThreadPolicy::Fifo, e));
  return o;
}

Napi::Value MeasureKernelCosts(const Napi::CallbackInfo& info) {
  Costs c;
  try {
    c = measureKernelCosts();
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("copyCallNs", c.copyCallNs);
  o.Set("copyPageNs", c.copyPageNs);
  o.Set("zeroPageNs", c.zeroPageNs);
  o.Set("madviseNs", c.madviseNs);
  o.Set("cowPageNs", c.cowPageNs);
  // null: this kernel's userfaultfd cannot (the engine's costs keep their defaults)
  auto orNull = [&](double v) -> Napi::Value { return v < 0 ? info.Env().Null() : Napi::Number::New(info.Env(), v); };
  o.Set("cacheFillPageNs", orNull(c.cacheFillPageNs));
  o.Set("continueCallNs", orNull(c.continueCallNs));
  o.Set("continuePageNs", orNull(c.continuePageNs));
  o.Set("stagePageNs", orNull(c.stagePageNs));
  o.Set("moveCallNs", orNull(c.moveCallNs));
  o.Set("movePageNs", orNull(c.movePageNs));
  return o;
}

// writePageContent(fd, seed, runs): runs is a Float64Array of (byte offset, pid, first page, count) quadruples.
Napi::Value WritePageContent(const Napi::CallbackInfo& info) {
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const uint32_t seed = info[1].As<Napi::Number>().Uint32Value();
  Napi::Float64Array a = info[2].As<Napi::Float64Array>();
  std::vector<ContentRun> runs(a.ElementLength() / 4);
  for (size_t i = 0; i < runs.size(); i++) {
    runs[i] = ContentRun{static_cast<uint64_t>(a[4 * i]), static_cast<uint32_t>(a[4 * i + 1]), static_cast<uint64_t>(a[4 * i + 2]),
                         static_cast<uint64_t>(a[4 * i + 3])};
  }
  try {
    writeContentRuns(fd, seed, runs.data(), runs.size());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Monitor", MonitorWrap::Init(env));
  exports.Set("now", Napi::Function::New(env, Now));
  exports.Set("probe", Napi::Function::New(env, Probe));
  exports.Set("probeFaultThread", Napi::Function::New(env, ProbeFaultThread));
  exports.Set("pinCurrentThread", Napi::Function::New(env, PinCurrentThread));
  exports.Set("measureKernelCosts", Napi::Function::New(env, MeasureKernelCosts));
  exports.Set("writePageContent", Napi::Function::New(env, WritePageContent));
  exports.Set("formatVersion", Napi::Number::New(env, RL_FORMAT_VERSION));
  return exports;
}

}  // namespace restorelab

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return restorelab::Init(env, exports); }

NODE_API_MODULE(restorelab_native, InitModule)
