/// `logging.output`: the stream log lines are written to.
public enum LogOutput: String, ConfigChoice {
    case stdout
    case stderr
}
