#include "infermeter/engines/serve_model.h"

namespace infermeter::engines {

std::vector<TokenId> EncodeBytes(std::string_view text, TokenId first_byte_id) {
  std::vector<TokenId> ids;
  ids.reserve(text.size());
  for (const char c : text) ids.push_back(first_byte_id + static_cast<unsigned char>(c));
  return ids;
}

char ByteTokenPiece(TokenId id, TokenId first_byte_id) {
  const TokenId byte = id - first_byte_id;
  if (byte >= 0x20 && byte <= 0x7e) return static_cast<char>(byte);
  // Not a printable ASCII byte (a control byte, a UTF-8 fragment, a special or out-of-byte id):
  // a printable stand-in, so one token stays one byte of valid text.
  const TokenId positive = id < 0 ? -(id % 26) : id % 26;
  return static_cast<char>('a' + positive);
}

ServedModel ByteLevelServedModel(std::string name, std::int64_t max_model_len,
                                 std::int64_t vocab_size, TokenId eos_token_id,
                                 TokenId first_byte_id) {
  ServedModel model;
  model.name = std::move(name);
  model.max_model_len = max_model_len;
  model.vocab_size = vocab_size;
  model.eos_token_id = eos_token_id;
  model.encode = [first_byte_id](std::string_view text) {
    return EncodeBytes(text, first_byte_id);
  };
  model.piece = [first_byte_id](TokenId id) {
    return std::string(1, ByteTokenPiece(id, first_byte_id));
  };
  return model;
}

}  // namespace infermeter::engines
