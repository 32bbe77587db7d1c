#include "watch_napi.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "address_napi.h"
#include "event_reader.h"
#include "link_napi.h"
#include "napi_classes.h"
#include "napi_errors.h"
#include "reader_thread.h"
#include "route_filter.h"
#include "route_napi.h"
#include "rule_napi.h"

namespace {

// { events: Uint32Array, routes: batch, links, addresses, addressDevs: string[], rules } (NativeEventBatch)
Napi::Object EventBatchToJs(Napi::Env env, EventBatch&& batch) {
  Napi::Object out = Napi::Object::New(env);
  Napi::Uint32Array events = Napi::Uint32Array::New(env, batch.events.size());
  for (size_t i = 0; i < batch.events.size(); i++) events[i] = batch.events[i];
  out.Set("events", events);
  out.Set("routes", RouteBatchToJs(env, std::move(batch.routes)));
  out.Set("links", LinksToJs(env, batch.links));
  out.Set("addresses", AddressesToJs(env, batch.addresses));
  Napi::Array devs = Napi::Array::New(env, batch.address_devs.size());
  for (size_t i = 0; i < batch.address_devs.size(); i++) devs.Set(i, batch.address_devs[i]);
  out.Set("addressDevs", devs);
  out.Set("rules", RulesToJs(env, batch.rules));
  return out;
}

EventFilter EventFilterOf(Napi::Object o) {
  EventFilter f;
  f.routes = o.Get("routes").ToBoolean().Value();
  f.links = o.Get("links").ToBoolean().Value();
  f.addresses = o.Get("addresses").ToBoolean().Value();
  f.rules = o.Get("rules").ToBoolean().Value();
  Napi::Array families = o.Get("families").As<Napi::Array>();
  for (uint32_t i = 0; i < families.Length(); i++)
    f.families.push_back(families.Get(i).As<Napi::Number>().Int32Value());
  return f;
}

// One watch for ReaderThread: a socket of its own joined to the multicast groups, whose reader blocks in poll()
// until the kernel has notifications (never polled by the event loop, never blocking it) and decodes them there, so
// that the decoding of a flood of routes stays off the main thread. When JS does not keep up, the kernel queues what
// comes meanwhile in the socket's buffer and, once that is full, drops and says so (ENOBUFS, an overrun event in the
// next batch): nothing is lost while the buffer has room, however the notifications were spread over batches.
class WatchSource {
 public:
  using Batch = EventBatch;
  static constexpr size_t kAhead = 16;
  static constexpr bool kFirstReadOnPool = false;  // the first read waits for events
  static constexpr const char* kName = "rtnetlink events";

  WatchSource(std::shared_ptr<NetlinkSocket> socket, EventFilter filter, int wake_fd)
      : socket_(std::move(socket)), reader_(socket_.get(), std::move(filter)), wake_fd_(wake_fd) {}
  ~WatchSource() { Release(); }
  WatchSource(const WatchSource&) = delete;
  WatchSource& operator=(const WatchSource&) = delete;

  NlError Join() { return reader_.Join(); }

  NlError Read(EventBatch* batch, bool* last) {
    bool woken = false;
    *last = false;
    return reader_.Read(wake_fd_, -1, batch, &woken);
  }
  static bool Empty(const EventBatch& batch) { return batch.empty(); }
  void Interrupt() {
    const uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof(one)) < 0) {
      // An eventfd write fails only when its counter is full, which one write cannot make it.
    }
  }
  void Finish() {}
  void Release() {
    socket_.reset();
    if (wake_fd_ >= 0) close(wake_fd_);
    wake_fd_ = -1;
  }
  static Napi::Value ToJs(Napi::Env env, EventBatch&& batch) { return EventBatchToJs(env, std::move(batch)); }

  // Main thread: from now on the kernel lets only the route notifications of interest through
  // (route_filter.h). *exact is false when the addresses were too many to test one by one and were widened.
  NlError NarrowRoutes(RouteInterest interest, const std::string& dev, bool* exact) {
    if (!dev.empty()) {
      NlError err = socket_->IfIndex(dev, &interest.oif);
      if (err.err) return err;
    }
    RouteFilter filter = RouteInterestFilter(interest);
    *exact = filter.exact;
    // The follower narrows twice a reaction, mostly to the same interest: the kernel's taking a program of
    // thousands of instructions is spared then.
    auto same = [](const sock_filter& a, const sock_filter& b) {
      return a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k;
    };
    if (std::equal(filter.program.begin(), filter.program.end(), attached_.begin(), attached_.end(), same))
      return NlError{};
    NlError err = socket_->SetFilter(filter.program);
    if (!err.err) attached_ = std::move(filter.program);
    return err;
  }

 private:
  std::shared_ptr<NetlinkSocket> socket_;
  std::vector<sock_filter> attached_;  // main thread only: the socket's filter now (empty: none)
  EventReader reader_;                 // reader thread only (Join: before it starts)
  int wake_fd_;                        // an eventfd: readable once the watch is cancelled
};

// narrowRoutes(families: number[], addresses: Uint8Array (16 bytes each), protocol, dev): boolean, whether the
// kernel's filter tests the addresses one by one (false: widened)
class Watch : public ReaderObject<Watch, WatchSource> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Watch",
                       {InstanceMethod("next", &Watch::Next), InstanceMethod("narrowRoutes", &Watch::NarrowRoutes),
                        InstanceMethod("close", &Watch::Close)});
  }
  using ReaderObject::ReaderObject;

 private:
  Napi::Value NarrowRoutes(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array families = info[0].As<Napi::Array>();
    Napi::Uint8Array addresses = info[1].As<Napi::Uint8Array>();
    if (addresses.ByteLength() != families.Length() * 16u)
      throw Napi::TypeError::New(env, "addresses have the wrong size");
    RouteInterest interest;
    interest.addresses.resize(families.Length());
    for (uint32_t i = 0; i < families.Length(); i++) {
      interest.addresses[i].family = families.Get(i).As<Napi::Number>().Int32Value();
      memcpy(interest.addresses[i].bytes, addresses.Data() + i * 16, 16);
    }
    interest.protocol = static_cast<uint8_t>(info[2].As<Napi::Number>().Uint32Value());
    bool exact = false;
    if (state_)
      ThrowIf(env, state_->source().NarrowRoutes(std::move(interest), info[3].As<Napi::String>().Utf8Value(), &exact));
    return Napi::Boolean::New(env, exact);
  }
};

}  // namespace

Napi::Function DefineWatch(Napi::Env env) { return Watch::Define(env); }

Napi::Value WatchJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  Napi::Env env = info.Env();
  EventFilter filter = EventFilterOf(info[0].As<Napi::Object>());
  NetlinkSocket* own = nullptr;
  ThrowIf(env, socket->Clone(&own));
  std::shared_ptr<NetlinkSocket> own_socket(own);
  const int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) ThrowIf(env, Errno("eventfd"));
  auto state = std::make_shared<Watch::State>(std::move(own_socket), std::move(filter), wake_fd);
  ThrowIf(env, state->source().Join());
  state->Start(env);
  Napi::Object watch = env.GetInstanceData<Classes>()->watch.New({});
  Watch::Unwrap(watch)->Init(std::move(state));
  return watch;
}
