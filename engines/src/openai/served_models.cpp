// GET /v1/models: which model names the server serves, so `infermeter run --engine openai` can
// default to the only one and name the choices when --model is wrong.

#include <curl/curl.h>

#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infermeter/core/error.h"
#include "infermeter/engines/openai_engine.h"
#include "openai/curl_transfer.h"

namespace infermeter::engines {
namespace {

std::size_t Append(char* data, std::size_t size, std::size_t count, void* user) {
  auto& body = *static_cast<std::string*>(user);
  if (body.size() < (std::size_t{4} << 20)) body.append(data, size * count);
  return size * count;
}

}  // namespace

std::vector<std::string> ListServedModels(const std::string& base_url, const std::string& api_key,
                                          std::int64_t timeout_ms) {
  openai::InitCurlOnce();
  std::string url = base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.ends_with("/v1")) url.resize(url.size() - 3);
  url += "/v1/models";

  const std::unique_ptr<CURL, void (*)(CURL*)> easy(curl_easy_init(), curl_easy_cleanup);
  if (!easy) throw Error("libcurl could not create a handle");
  OpenAiEngineOptions options;
  options.api_key = api_key;
  const std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(openai::CommonHeaders(options),
                                                                   curl_slist_free_all);
  std::string body;
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(easy.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  const CURLcode code = curl_easy_perform(easy.get());
  if (code != CURLE_OK) {
    throw Error(fmt::format("cannot list the models of {}: {}", url,
                            error[0] != '\0' ? error : curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    throw Error(
        fmt::format("cannot list the models of {}: HTTP {}: {}", url, status, body.substr(0, 300)));
  }
  std::vector<std::string> names;
  try {
    const nlohmann::json list = nlohmann::json::parse(body);
    for (const auto& model : list.at("data")) {
      names.push_back(model.at("id").get<std::string>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{} did not answer with an OpenAI model list ({}): {}", url, e.what(),
                            body.substr(0, 300)));
  }
  return names;
}

}  // namespace infermeter::engines
