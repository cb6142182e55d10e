import COpenSSL

/// AES-256-GCM through OpenSSL's EVP interface: 32-byte key, 12-byte nonce, 16-byte tag, associated data.
/// The primitive only; `Vault` adds key ids, random nonces and the stored format.
enum AES256GCM {
    static let keyLength = 32
    static let nonceLength = 12
    static let tagLength = 16

    struct Failure: Error {}

    static func seal(key: [UInt8], nonce: [UInt8], plaintext: [UInt8], aad: [UInt8]) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        guard key.count == keyLength, nonce.count == nonceLength, let ctx = EVP_CIPHER_CTX_new() else { throw Failure() }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var tag = [UInt8](repeating: 0, count: tagLength)
        var length: Int32 = 0
        var total = 0
        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            copenssl_gcm_set_ivlen(ctx, Int32(nonceLength)) == 1,
            EVP_EncryptInit_ex(ctx, nil, nil, key, nonce) == 1
        else { throw Failure() }
        if !aad.isEmpty {
            guard EVP_EncryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1 else { throw Failure() }
        }
        if !plaintext.isEmpty {
            guard EVP_EncryptUpdate(ctx, &ciphertext, &length, plaintext, Int32(plaintext.count)) == 1 else { throw Failure() }
            total = Int(length)
        }
        let finalStatus = ciphertext.withUnsafeMutableBufferPointer { buffer in
            EVP_EncryptFinal_ex(ctx, buffer.baseAddress! + total, &length)
        }
        guard finalStatus == 1 else { throw Failure() }
        total += Int(length)
        guard copenssl_gcm_get_tag(ctx, &tag, Int32(tagLength)) == 1 else { throw Failure() }
        return (Array(ciphertext.prefix(total)), tag)
    }

    /// Opens and authenticates. Any failure — wrong key, nonce, data, tag or associated data — is the same error,
    /// and no plaintext leaves unless the tag verified.
    static func open(key: [UInt8], nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        // A tag of any other length is refused before OpenSSL sees it: GCM would accept a truncated tag.
        guard key.count == keyLength, nonce.count == nonceLength, tag.count == tagLength,
            let ctx = EVP_CIPHER_CTX_new()
        else { throw Failure() }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var length: Int32 = 0
        var total = 0
        var tag = tag
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            copenssl_gcm_set_ivlen(ctx, Int32(nonceLength)) == 1,
            EVP_DecryptInit_ex(ctx, nil, nil, key, nonce) == 1
        else { throw Failure() }
        if !aad.isEmpty {
            guard EVP_DecryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1 else { throw Failure() }
        }
        if !ciphertext.isEmpty {
            guard EVP_DecryptUpdate(ctx, &plaintext, &length, ciphertext, Int32(ciphertext.count)) == 1 else { throw Failure() }
            total = Int(length)
        }
        guard copenssl_gcm_set_tag(ctx, &tag, Int32(tagLength)) == 1 else { throw Failure() }
        let finalStatus = plaintext.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(ctx, buffer.baseAddress! + total, &length)
        }
        guard finalStatus == 1 else {
            for index in plaintext.indices { plaintext[index] = 0 }
            throw Failure()
        }
        total += Int(length)
        return Array(plaintext.prefix(total))
    }
}
