#pragma once
// An OpenAI-style error: the HTTP status and the body {"error": {"message", "type", "param",
// "code"}}. Types follow OpenAI's API: "invalid_request_error" for every 4xx (the status says
// which: 400 bad request, 404 unknown model or route, 405 wrong method, 413 body too large),
// "server_error" for 5xx. `code` is a short machine-readable reason ("model_not_found",
// "invalid_json", "context_length_exceeded", ...); docs/SERVE.md lists them.

#include <stdexcept>
#include <string>

namespace infermeter::engines::serve {

struct ApiError {
  int status = 400;
  std::string message;
  std::string param;  // the request field at fault; "" writes null
  std::string code;   // "" writes null
  std::string type() const { return status >= 500 ? "server_error" : "invalid_request_error"; }
};

// The JSON body of `error`.
std::string ErrorJson(const ApiError& error);

// Thrown by request parsing; the HTTP layer answers with its error.
class ApiException : public std::runtime_error {
 public:
  explicit ApiException(ApiError error)
      : std::runtime_error(error.message), error_(std::move(error)) {}
  const ApiError& error() const { return error_; }

 private:
  ApiError error_;
};

}  // namespace infermeter::engines::serve
