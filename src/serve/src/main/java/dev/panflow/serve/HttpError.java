package dev.panflow.serve;

/** A request the server refuses: the HTTP status and a message naming the field at fault. */
final class HttpError extends RuntimeException {
    final int status;

    HttpError(int status, String message) {
        super(message);
        this.status = status;
    }

    static HttpError badRequest(String message) { return new HttpError(400, message); }
}
