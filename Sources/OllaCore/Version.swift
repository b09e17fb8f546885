public enum OllaVersion { public static let string = "0.1.0" }
