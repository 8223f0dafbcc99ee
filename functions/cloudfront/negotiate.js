// feedpub feed negotiation: a CloudFront Function (runtime cloudfront-js-2.0) associated with
// SiteDistribution's default cache behavior for viewer-request and viewer-response.
//
// Same rule as functions/feedpub/negotiation.py (tests/template/test_negotiation.py runs one table of
// cases against both); template.yaml inlines this file byte for byte (FeedNegotiationFunction).
//
// viewer-request: a browser navigation (Accept starting with text/html) to a feed URL is
// rewritten to the feed set's index.html. This runs before the cache lookup and the rewritten
// URI is part of the cache key, so the page and the feed are separate cache entries.
//
// viewer-response: "vary: accept" on feed URLs, so browsers and any shared cache downstream keep
// the two variants of one URL apart. Feed-set index.html URIs get it too: CloudFront may hand
// this event the rewritten URI, and the header is harmless on a direct request for the page.
//
// viewer-response also serves WebSub discovery: S3 cannot store a Link header, so the publisher
// stores it as object metadata (x-amz-meta-link: <hub>; rel="hub", <self>; rel="self") and this
// function renames it to Link, on feeds and on 304s alike.
var FEED_PATH = /^\/feeds\/(?:(?:tags\/|authors\/)?[a-z0-9-]+\/)?(?:rss\.xml|atom\.xml|feed\.json)$/;
var FEED_INDEX_PATH = /^\/feeds\/(?:(?:tags\/|authors\/)?[a-z0-9-]+\/)?index\.html$/;
var LINK_METADATA = 'x-amz-meta-link';

function wantsHtml(headers) {
    var accept = headers && headers.accept;
    if (!accept || typeof accept.value !== 'string') {
        return false;
    }
    return accept.value.trim().toLowerCase().indexOf('text/html') === 0;
}

function addVaryAccept(headers) {
    var vary = headers.vary && headers.vary.value;
    if (!vary) {
        headers.vary = { value: 'accept' };
    } else if (!/(^|,)\s*(accept|\*)\s*(,|$)/i.test(vary)) {
        headers.vary = { value: vary + ', accept' };
    }
}

function moveLinkMetadata(headers) {
    var stored = headers[LINK_METADATA];
    if (stored) {
        headers.link = { value: stored.value };
        delete headers[LINK_METADATA];
    }
}

function handler(event) {
    var request = event.request;
    if (event.context.eventType === 'viewer-response') {
        var response = event.response;
        if (FEED_PATH.test(request.uri) || FEED_INDEX_PATH.test(request.uri)) {
            addVaryAccept(response.headers);
        }
        moveLinkMetadata(response.headers);
        return response;
    }
    if (FEED_PATH.test(request.uri) && wantsHtml(request.headers)) {
        request.uri = request.uri.slice(0, request.uri.lastIndexOf('/') + 1) + 'index.html';
    }
    return request;
}
