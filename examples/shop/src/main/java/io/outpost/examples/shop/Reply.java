package io.outpost.examples.shop;

/** What a command answers: status, JSON body and, for a creation, the new resource's path. */
record Reply(int status, String body, String location) {

    static Reply ok(String body) {
        return new Reply(200, body, null);
    }

    static Reply created(String body, String location) {
        return new Reply(201, body, location);
    }

    static Reply of(Problem problem, String instance) {
        return new Reply(problem.status(), problem.json(instance), null);
    }

    String contentType() {
        return status >= 400 ? Problem.CONTENT_TYPE : "application/json";
    }
}
