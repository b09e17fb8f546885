extension RequestLimitsConfig {
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        let defaults = RequestLimitsConfig.defaults
        self.init(
            maxBodySize: try reader.integer("max_body_size", in: Self.maxBodySizeRange, default: defaults.maxBodySize),
            maxHeaderSize: try reader.integer("max_header_size", in: Self.maxHeaderSizeRange, default: defaults.maxHeaderSize)
        )
    }
}
