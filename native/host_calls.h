#pragma once

#include <napi.h>

void RegisterHostCalls(Napi::Env env, Napi::Object exports);
