// Request parsing and validation of `infermeter serve`: every accepted form of the prompt, the
// chat template, defaults, vLLM's extensions, and each refusal with its status, field and code.

#include "serve/request_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "serve/api_error.h"
#include "serve/chat_template.h"

namespace infermeter::engines::serve {
namespace {

ServedModel Model() { return ByteLevelServedModel("tiny", 100, 1024, 1); }

ParsedRequest Parse(Endpoint endpoint, const std::string& body) {
  return ParseRequest(endpoint, body, Model());
}

// The error ParseRequest throws for `body`.
ApiError Refusal(Endpoint endpoint, const std::string& body) {
  try {
    Parse(endpoint, body);
  } catch (const ApiException& e) {
    return e.error();
  }
  ADD_FAILURE() << "accepted: " << body;
  return {};
}

TEST(ServeRequestParser, TextPromptIsBytesPlusThree) {
  const auto r = Parse(Endpoint::kCompletions, R"({"model":"tiny","prompt":"Hi"})");
  EXPECT_EQ(r.prompt_tokens, (std::vector<TokenId>{3 + 'H', 3 + 'i'}));
  EXPECT_EQ(r.max_tokens, 16);
  EXPECT_FALSE(r.stream);
  EXPECT_DOUBLE_EQ(r.sampling.temperature, 1.0);
  EXPECT_FALSE(r.seeded);
}

TEST(ServeRequestParser, TokenIdPromptsInEveryForm) {
  for (const char* prompt : {"[5,6,7]", "[[5,6,7]]"}) {
    const auto r =
        Parse(Endpoint::kCompletions, std::string(R"({"model":"tiny","prompt":)") + prompt + "}");
    EXPECT_EQ(r.prompt_tokens, (std::vector<TokenId>{5, 6, 7})) << prompt;
  }
  const auto r = Parse(Endpoint::kCompletions, R"({"model":"tiny","prompt":["ab"]})");
  EXPECT_EQ(r.prompt_tokens.size(), 2u);
}

TEST(ServeRequestParser, ExtensionsAndStreamOptions) {
  const auto r = Parse(Endpoint::kCompletions,
                       R"({"model":"tiny","prompt":[5],"max_tokens":7,"min_tokens":3,
      "ignore_eos":true,"stream":true,"return_token_ids":true,"temperature":0,"top_p":0.5,
      "top_k":-1,"seed":42,"stop":["x"],
      "stream_options":{"include_usage":true,"continuous_usage_stats":true}})");
  EXPECT_EQ(r.max_tokens, 7);
  EXPECT_EQ(r.min_tokens, 3);
  EXPECT_TRUE(r.ignore_eos);
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_TRUE(r.continuous_usage_stats);
  EXPECT_TRUE(r.return_token_ids);
  EXPECT_DOUBLE_EQ(r.sampling.temperature, 0);
  EXPECT_DOUBLE_EQ(r.sampling.top_p, 0.5);
  EXPECT_EQ(r.sampling.top_k, 0);
  EXPECT_EQ(r.sampling.seed, 42u);
  EXPECT_TRUE(r.seeded);
}

TEST(ServeRequestParser, NullMeansDefault) {
  const auto r = Parse(Endpoint::kCompletions,
                       R"({"model":"tiny","prompt":[5],"max_tokens":null,"seed":null})");
  EXPECT_EQ(r.max_tokens, 16);
  EXPECT_FALSE(r.seeded);
}

TEST(ServeRequestParser, ChatUsesTemplateAndMaxCompletionTokens) {
  const auto r = Parse(Endpoint::kChat, R"({"model":"tiny","max_completion_tokens":5,
      "messages":[{"role":"system","content":"S"},
                  {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
                  {"role":"assistant","content":null}]})");
  const std::string expected = "<|system|>\nS\n<|user|>\nab\n<|assistant|>\n\n<|assistant|>\n";
  EXPECT_EQ(r.prompt_tokens.size(), expected.size());
  EXPECT_EQ(r.prompt_tokens, EncodeBytes(expected));
  EXPECT_EQ(r.max_tokens, 5);
}

TEST(ServeRequestParser, InvalidJsonNamesTheByte) {
  const ApiError e = Refusal(Endpoint::kCompletions, R"({"model":"tiny",})");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.code, "invalid_json");
  EXPECT_NE(e.message.find("at byte 17"), std::string::npos) << e.message;
  EXPECT_EQ(Refusal(Endpoint::kCompletions, "[1]").code, "invalid_json");
}

TEST(ServeRequestParser, WrongTypesNameTheField) {
  struct Case {
    const char* body;
    const char* param;
  };
  for (const Case& c : std::initializer_list<Case>{
           {R"({"model":"tiny","prompt":[5],"max_tokens":"7"})", "max_tokens"},
           {R"({"model":"tiny","prompt":[5],"stream":1})", "stream"},
           {R"({"model":"tiny","prompt":[5,"x"]})", "prompt[1]"},
           {R"({"model":"tiny","prompt":5})", "prompt"},
           {R"({"model":7,"prompt":[5]})", "model"},
           {R"({"model":"tiny","prompt":[5],"temperature":"hot"})", "temperature"},
           {R"({"model":"tiny","prompt":[5],"stop":5})", "stop"},
           {R"({"model":"tiny","prompt":[5],"stream":true,"stream_options":{"include_usage":1}})",
            "stream_options.include_usage"}}) {
    const ApiError e = Refusal(Endpoint::kCompletions, c.body);
    EXPECT_EQ(e.status, 400) << c.body;
    EXPECT_EQ(e.param, c.param) << c.body;
    EXPECT_EQ(e.code, "invalid_type") << c.body;
    EXPECT_NE(e.message.find(c.param), std::string::npos) << e.message;
  }
}

TEST(ServeRequestParser, Refusals) {
  struct Case {
    Endpoint endpoint;
    const char* body;
    int status;
    const char* param;
    const char* code;
  };
  const auto C = Endpoint::kCompletions;
  for (const Case& c : std::initializer_list<Case>{
           {C, R"({"model":"other","prompt":[5]})", 404, "model", "model_not_found"},
           {C, R"({"prompt":[5]})", 400, "model", "missing_field"},
           {C, R"({"model":"tiny"})", 400, "prompt", "missing_field"},
           {C, R"({"model":"tiny","prompt":["a","b"]})", 400, "prompt", "unsupported_value"},
           {C, R"({"model":"tiny","prompt":[[5],[6]]})", 400, "prompt", "unsupported_value"},
           {C, R"({"model":"tiny","prompt":[5],"n":2})", 400, "n", "unsupported_value"},
           {C, R"({"model":"tiny","prompt":[5],"logprobs":1})", 400, "logprobs",
            "unsupported_value"},
           {C, R"({"model":"tiny","prompt":[5],"echo":true})", 400, "echo", "unsupported_value"},
           {C, R"({"model":"tiny","prompt":""})", 400, "prompt", "invalid_value"},
           {C, R"({"model":"tiny","prompt":[]})", 400, "prompt", "invalid_value"},
           {C, R"({"model":"tiny","prompt":[1024]})", 400, "prompt", "invalid_value"},
           {C, R"({"model":"tiny","prompt":[-1]})", 400, "prompt", "invalid_value"},
           {C, R"({"model":"tiny","prompt":[5],"max_tokens":0})", 400, "max_tokens",
            "invalid_value"},
           {C, R"({"model":"tiny","prompt":[5],"max_tokens":100})", 400, "prompt",
            "context_length_exceeded"},
           {C, R"({"model":"tiny","prompt":[5],"min_tokens":17})", 400, "min_tokens",
            "invalid_value"},
           {C, R"({"model":"tiny","prompt":[5],"stream_options":{"include_usage":true}})", 400,
            "stream_options", "invalid_value"},
           {C, R"({"model":"tiny","prompt":[5],"temperature":3})", 400, "temperature",
            "invalid_value"},
           {Endpoint::kChat, R"({"model":"tiny"})", 400, "messages", "missing_field"},
           {Endpoint::kChat, R"({"model":"tiny","messages":[]})", 400, "messages", "invalid_value"},
           {Endpoint::kChat, R"({"model":"tiny","messages":[{"role":"robot","content":"x"}]})", 400,
            "messages[0].role", "invalid_value"},
           {Endpoint::kChat,
            R"({"model":"tiny","messages":[{"role":"user","content":[{"type":"image_url"}]}]})",
            400, "messages[0].content[0].type", "invalid_value"},
           {Endpoint::kChat, R"({"model":"tiny","messages":[{"role":"user","content":5}]})", 400,
            "messages[0].content", "invalid_value"},
           {Endpoint::kChat, R"({"model":"tiny","messages":[{"role":"user","content":"x"}],
              "logprobs":true})",
            400, "logprobs", "unsupported_value"}}) {
    const ApiError e = Refusal(c.endpoint, c.body);
    EXPECT_EQ(e.status, c.status) << c.body;
    EXPECT_EQ(e.param, c.param) << c.body;
    EXPECT_EQ(e.code, c.code) << c.body << ": " << e.message;
  }
}

TEST(ServeRequestParser, ContextMessageIsVllms) {
  const ApiError e =
      Refusal(Endpoint::kCompletions, R"({"model":"tiny","prompt":"hello","max_tokens":96})");
  EXPECT_EQ(e.message,
            "This model's maximum context length is 100 tokens. However, you requested 101 "
            "tokens (5 in the prompt, 96 in the completion). Please reduce the length of the "
            "prompt or completion.");
}

TEST(ServeByteTokenizer, OnePrintableBytePerToken) {
  EXPECT_EQ(ByteTokenPiece(3 + 'A'), 'A');
  EXPECT_EQ(ByteTokenPiece(3 + ' '), ' ');
  EXPECT_EQ(ByteTokenPiece(3 + '~'), '~');
  for (TokenId id = -5; id < 2000; ++id) {
    const char c = ByteTokenPiece(id);
    EXPECT_TRUE(c >= 0x20 && c <= 0x7e) << id;
  }
  EXPECT_EQ(ByteTokenPiece(1), 'a' + 1);          // end of sequence: a stand-in
  EXPECT_EQ(ByteTokenPiece(3 + '\n'), 'a' + 13);  // id 13: control byte
  EXPECT_EQ(ByteTokenPiece(3 + 0xc3), 'a' + (3 + 0xc3) % 26);
}

}  // namespace
}  // namespace infermeter::engines::serve
