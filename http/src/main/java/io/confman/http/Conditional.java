package io.confman.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;

/** The parts of conditional and range requests (RFC 9110 sections 13 and 14) every value reply shares. */
final class Conditional {

    private Conditional() {
    }

    /** {@code If-None-Match}: "*" or a list of entity tags, weak ones compared weakly (RFC 9110 13.1.2). */
    static boolean matchesNoneMatch(String header, String etag) {
        if (header == null) {
            return false;
        }
        for (String candidate : header.split(",")) {
            String tag = candidate.trim();
            if (tag.startsWith("W/")) {
                tag = tag.substring(2);
            }
            if (tag.equals("*") || tag.equals(etag)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The {@code Range} header to serve, or null when the whole value goes out: with
     * {@code If-Range} (RFC 9110 section 13.1.5) the range applies only while the value is
     * still the one the client holds part of, that is when the validator is {@code etag}
     * compared strongly (a weak tag never matches). A date never matches either: values
     * carry no Last-Modified, so the client cannot hold one of ours.
     */
    static String rangeToServe(ClientRequest request, String etag) {
        String range = request.header(HttpHeaderNames.RANGE);
        String ifRange = request.header(HttpHeaderNames.IF_RANGE);
        if (range == null || ifRange == null) {
            return range;
        }
        return ifRange.trim().equals(etag) ? range : null;
    }

    /** {@code Content-Range} of a 206. */
    static String contentRange(ByteRange range, long sizeBytes) {
        return "bytes " + range.first() + "-" + range.last() + "/" + sizeBytes;
    }

    /** The 416 for a range that selects nothing of a value of {@code sizeBytes}. */
    static Reply unsatisfiable(String rangeHeader, long sizeBytes) {
        return Reply.error(new ApiError(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "range_not_satisfiable",
                        "the range '" + rangeHeader + "' selects nothing of a value of " + sizeBytes + " bytes"))
                .header(HttpHeaderNames.CONTENT_RANGE, "bytes */" + sizeBytes);
    }
}
