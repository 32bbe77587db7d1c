// The N-API surface: a RouteSocket handle whose methods run on the libuv pool and settle promises.
// Per-handle serialization of calls is done in JS (src/netlink/socket.ts).
#include <napi.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "host_calls.h"
#include "link_codec.h"
#include "netlink_socket.h"
#include "route_codec.h"

namespace {

using SocketPtr = std::shared_ptr<NetlinkSocket>;

Napi::Error ToJsError(Napi::Env env, const NlError& e) {
  Napi::Error error = Napi::Error::New(env, e.message.empty() ? "netlink error" : e.message);
  error.Set("errno", Napi::Number::New(env, e.err));
  error.Set("extack", Napi::String::New(env, e.message));
  return error;
}

Napi::Array LinksToJs(Napi::Env env, const std::vector<Link>& links) {
  Napi::Array out = Napi::Array::New(env, links.size());
  for (size_t i = 0; i < links.size(); i++) {
    Napi::Object link = Napi::Object::New(env);
    link.Set("index", links[i].index);
    link.Set("name", links[i].name);
    link.Set("flags", links[i].flags);
    link.Set("mtu", links[i].mtu);
    link.Set("operstate", links[i].operstate);
    out.Set(i, link);
  }
  return out;
}

template <typename T>
Napi::ArrayBuffer MoveToArrayBuffer(Napi::Env env, std::vector<T>&& data) {
  auto* owned = new std::vector<T>(std::move(data));
  if (owned->empty()) {
    delete owned;
    return Napi::ArrayBuffer::New(env, 0);
  }
  return Napi::ArrayBuffer::New(env, owned->data(), owned->size() * sizeof(T),
                                [](Napi::Env, void*, std::vector<T>* v) { delete v; }, owned);
}

// A worker that settles a promise: Run() does the kernel work off the main thread, Result() builds the value.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, SocketPtr socket)
      : Napi::AsyncWorker(env), socket_(std::move(socket)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Start() {
    Queue();
    return deferred_.Promise();
  }

 protected:
  virtual NlError Run() = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;
  void Execute() override { failure_ = Run(); }
  void OnOK() override {
    Napi::Env env = Env();
    if (failure_.err) {
      deferred_.Reject(ToJsError(env, failure_).Value());
    } else {
      deferred_.Resolve(Result(env));
    }
  }
  // Links first, so that routes' output interfaces can be named.
  NlError ReadLinks() {
    auto request = EncodeLinkDump();
    return socket_->TransactOne(request, [this](size_t, const nlmsghdr* m) { DecodeLink(m, &links_); });
  }

  SocketPtr socket_;
  std::vector<Link> links_;

 private:
  Napi::Promise::Deferred deferred_;
  NlError failure_;
};

class RoutesWorker : public PromiseWorker {
 public:
  using PromiseWorker::PromiseWorker;

 protected:
  Napi::Value Result(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    out.Set("links", LinksToJs(env, links_));
    const size_t count = routes_.words().size();
    Napi::ArrayBuffer words = MoveToArrayBuffer(env, routes_.TakeWords());
    const std::string& text = routes_.text();
    out.Set("words", Napi::Uint32Array::New(env, count, words, 0));
    out.Set("text", Napi::Buffer<char>::Copy(env, text.data(), text.size()));
    return out;
  }
  PackedRoutes routes_;
};

class DumpWorker : public RoutesWorker {
 public:
  DumpWorker(Napi::Env env, SocketPtr socket, std::vector<int> families, uint32_t table, uint8_t protocol,
             uint32_t oif)
      : RoutesWorker(env, std::move(socket)), families_(std::move(families)), table_(table), protocol_(protocol),
        oif_(oif) {}

 protected:
  NlError Run() override {
    NlError err = ReadLinks();
    for (size_t i = 0; !err.err && i < families_.size(); i++) err = DumpFamily(families_[i]);
    return err;
  }

 private:
  NlError DumpFamily(int family) {
    const size_t words_before = routes_.words().size();
    NlError err;
    for (int attempt = 0; attempt <= NetlinkSocket::kDumpRetries; attempt++) {
      auto request = EncodeRouteDump(family, table_, protocol_, oif_);
      err = socket_->TransactOne(request, [this](size_t, const nlmsghdr* m) { routes_.Add(m); });
      if (err.err != EINTR) break;
      routes_.Truncate(words_before);
    }
    return err;
  }
  std::vector<int> families_;
  uint32_t table_;
  uint8_t protocol_;
  uint32_t oif_;
};

class GetWorker : public RoutesWorker {
 public:
  GetWorker(Napi::Env env, SocketPtr socket, int family, std::vector<uint8_t> addr, uint32_t oif, bool fib_match,
            bool with_links)
      : RoutesWorker(env, std::move(socket)), family_(family), addr_(std::move(addr)), oif_(oif),
        fib_match_(fib_match), with_links_(with_links) {}

 protected:
  NlError Run() override {
    NlError err = with_links_ ? ReadLinks() : NlError{};
    if (err.err) return err;
    auto request = EncodeRouteGet(family_, addr_.data(), oif_, fib_match_);
    return socket_->TransactOne(request, [this](size_t, const nlmsghdr* m) { routes_.Add(m); });
  }

 private:
  int family_;
  std::vector<uint8_t> addr_;
  uint32_t oif_;
  bool fib_match_, with_links_;
};

class LinksWorker : public PromiseWorker {
 public:
  using PromiseWorker::PromiseWorker;

 protected:
  NlError Run() override { return ReadLinks(); }
  Napi::Value Result(Napi::Env env) override { return LinksToJs(env, links_); }
};

// Many route changes pipelined to the kernel; every change gets its own result.
class ChangeWorker : public PromiseWorker {
 public:
  ChangeWorker(Napi::Env env, SocketPtr socket, std::vector<uint8_t> records)
      : PromiseWorker(env, std::move(socket)), records_(std::move(records)) {}

 protected:
  NlError Run() override {
    std::vector<std::vector<uint8_t>> requests;
    requests.reserve(records_.size() / record::kSize);
    for (size_t pos = 0; pos + record::kSize <= records_.size(); pos += record::kSize)
      requests.push_back(EncodeRouteChange(records_.data() + pos));
    return socket_->Transact(requests, [](size_t, const nlmsghdr*) {}, &results_);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Int32Array errors = Napi::Int32Array::New(env, results_.size());
    Napi::Array messages = Napi::Array::New(env);
    for (size_t i = 0; i < results_.size(); i++) {
      errors[i] = results_[i].err;
      if (!results_[i].message.empty()) messages.Set(i, results_[i].message);
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("errors", errors);
    out.Set("messages", messages);
    return out;
  }

 private:
  std::vector<uint8_t> records_;
  std::vector<NlError> results_;
};

class RouteSocketHandle : public Napi::ObjectWrap<RouteSocketHandle> {
 public:
  static Napi::FunctionReference* constructor;

  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RouteSocketHandle",
                       {InstanceMethod("dumpRoutes", &RouteSocketHandle::DumpRoutes),
                        InstanceMethod("getRoute", &RouteSocketHandle::GetRoute),
                        InstanceMethod("change", &RouteSocketHandle::Change),
                        InstanceMethod("listLinks", &RouteSocketHandle::ListLinks),
                        InstanceMethod("close", &RouteSocketHandle::Close)});
  }

  explicit RouteSocketHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RouteSocketHandle>(info) {
    socket_.reset(info[0].As<Napi::External<NetlinkSocket>>().Data());
  }

 private:
  SocketPtr Socket(const Napi::CallbackInfo& info) {
    if (!socket_) throw Napi::Error::New(info.Env(), "the route socket is closed");
    return socket_;
  }

  // dumpRoutes(families: number[], table, protocol, oif)
  Napi::Value DumpRoutes(const Napi::CallbackInfo& info) {
    Napi::Array list = info[0].As<Napi::Array>();
    std::vector<int> families;
    for (uint32_t i = 0; i < list.Length(); i++) families.push_back(list.Get(i).As<Napi::Number>().Int32Value());
    auto* worker = new DumpWorker(info.Env(), Socket(info), std::move(families),
                                  info[1].As<Napi::Number>().Uint32Value(),
                                  static_cast<uint8_t>(info[2].As<Napi::Number>().Uint32Value()),
                                  info[3].As<Napi::Number>().Uint32Value());
    return worker->Start();
  }

  // getRoute(family, address: Buffer, oif, fibMatch, withLinks)
  Napi::Value GetRoute(const Napi::CallbackInfo& info) {
    Napi::Buffer<uint8_t> addr = info[1].As<Napi::Buffer<uint8_t>>();
    int family = info[0].As<Napi::Number>().Int32Value();
    if (addr.Length() != (family == AF_INET6 ? 16u : 4u))
      throw Napi::TypeError::New(info.Env(), "address length does not match the family");
    auto* worker = new GetWorker(info.Env(), Socket(info), family,
                                 std::vector<uint8_t>(addr.Data(), addr.Data() + addr.Length()),
                                 info[2].As<Napi::Number>().Uint32Value(), info[3].As<Napi::Boolean>().Value(),
                                 info[4].As<Napi::Boolean>().Value());
    return worker->Start();
  }

  // change(records: Buffer of record::kSize records)
  Napi::Value Change(const Napi::CallbackInfo& info) {
    Napi::Buffer<uint8_t> records = info[0].As<Napi::Buffer<uint8_t>>();
    if (records.Length() % record::kSize)
      throw Napi::TypeError::New(info.Env(), "change records have the wrong size");
    auto* worker = new ChangeWorker(info.Env(), Socket(info),
                                    std::vector<uint8_t>(records.Data(), records.Data() + records.Length()));
    return worker->Start();
  }

  Napi::Value ListLinks(const Napi::CallbackInfo& info) { return (new LinksWorker(info.Env(), Socket(info)))->Start(); }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    socket_.reset();  // work still in flight keeps its own reference until it ends
    return info.Env().Undefined();
  }

  SocketPtr socket_;
};

Napi::FunctionReference* RouteSocketHandle::constructor = nullptr;

class OpenWorker : public Napi::AsyncWorker {
 public:
  OpenWorker(Napi::Env env, std::string netns, int timeout_ms)
      : Napi::AsyncWorker(env), netns_(std::move(netns)), timeout_ms_(timeout_ms),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Start() {
    Queue();
    return deferred_.Promise();
  }

 protected:
  void Execute() override { failure_ = NetlinkSocket::Open(netns_, timeout_ms_, &socket_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (failure_.err) {
      deferred_.Reject(ToJsError(env, failure_).Value());
      return;
    }
    deferred_.Resolve(RouteSocketHandle::constructor->New({Napi::External<NetlinkSocket>::New(env, socket_)}));
  }

 private:
  std::string netns_;
  int timeout_ms_;
  Napi::Promise::Deferred deferred_;
  NlError failure_;
  NetlinkSocket* socket_ = nullptr;
};

// open(netns: string, timeoutMs: number): Promise<RouteSocketHandle>
Napi::Value Open(const Napi::CallbackInfo& info) {
  std::string netns = info[0].As<Napi::String>().Utf8Value();
  return (new OpenWorker(info.Env(), netns, info[1].As<Napi::Number>().Int32Value()))->Start();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Function handle = RouteSocketHandle::Define(env);
  RouteSocketHandle::constructor = new Napi::FunctionReference(Napi::Persistent(handle));
  exports.Set("open", Napi::Function::New(env, Open));
  RegisterHostCalls(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(rtnetlink, Init)
