#include "route_dump_napi.h"

#include <optional>
#include <utility>

#include "napi_classes.h"
#include "napi_errors.h"
#include "operations.h"
#include "reader_thread.h"
#include "route_napi.h"

namespace {

// One route dump (one family after another) for ReaderThread.
class RouteDumpSource {
 public:
  using Batch = RouteBatch;
  static constexpr size_t kAhead = 4;
  static constexpr bool kFirstReadOnPool = true;
  static constexpr const char* kName = "rtnetlink dump";

  // own_socket: the socket is the dump's own, and closing it ends the dump.
  RouteDumpSource(std::shared_ptr<NetlinkSocket> socket, bool own_socket, RouteDumpFilter filter)
      : socket_(std::move(socket)), own_socket_(own_socket), reader_(std::in_place, socket_.get(), std::move(filter)) {}

  NlError Read(RouteBatch* batch, bool* last) {
    NlError err = reader_->ReadBatch(max_routes, batch);
    *last = batch->done;
    return err;
  }
  static bool Empty(const RouteBatch&) { return false; }  // JS keeps each batch's interned strings
  void Interrupt() {}                                     // a dump's read never waits for long
  // A dump given up early on a shared socket is read to its end, so that the socket can be used again.
  void Finish() {
    if (!own_socket_) reader_->Drain();
  }
  // The reader first: it holds a socket of its own while an IPv6 dump runs (operations.h).
  void Release() {
    reader_.reset();
    socket_.reset();
  }
  static Napi::Value ToJs(Napi::Env env, RouteBatch&& batch) { return RouteBatchToJs(env, std::move(batch)); }

  size_t max_routes = 8192;  // set by the first next(), before any batch is read

 private:
  std::shared_ptr<NetlinkSocket> socket_;
  const bool own_socket_;
  std::optional<RouteDumpReader> reader_;
};

// next(maxRoutes): the batch size, taken from the first call.
class RouteDump : public ReaderObject<RouteDump, RouteDumpSource> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RouteDump",
                       {InstanceMethod("next", &RouteDump::SizedNext), InstanceMethod("close", &RouteDump::Close)});
  }
  using ReaderObject::ReaderObject;

 private:
  Napi::Value SizedNext(const Napi::CallbackInfo& info) {
    const uint32_t max = info[0].As<Napi::Number>().Uint32Value();
    if (state_ && !state_->Begun() && max) state_->source().max_routes = max;
    return Next(info);
  }
};

}  // namespace

Napi::Function DefineRouteDump(Napi::Env env) { return RouteDump::Define(env); }

Napi::Value DumpRoutesJs(const Napi::CallbackInfo& info, std::shared_ptr<NetlinkSocket> socket) {
  Napi::Env env = info.Env();
  RouteDumpFilter filter;
  Napi::Array list = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) filter.families.push_back(list.Get(i).As<Napi::Number>().Int32Value());
  filter.table = info[1].As<Napi::Number>().Uint32Value();
  filter.protocol = static_cast<uint8_t>(info[2].As<Napi::Number>().Uint32Value());
  filter.oif = info[3].As<Napi::Number>().Uint32Value();
  const bool own_socket = info[4].ToBoolean().Value();
  if (own_socket) {
    NetlinkSocket* own = nullptr;
    ThrowIf(env, socket->Clone(&own));
    socket.reset(own);
  }
  auto state = std::make_shared<RouteDump::State>(std::move(socket), own_socket, std::move(filter));
  Napi::Object dump = env.GetInstanceData<Classes>()->route_dump.New({});
  RouteDump::Unwrap(dump)->Init(std::move(state));
  return dump;
}
