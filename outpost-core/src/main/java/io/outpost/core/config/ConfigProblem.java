package io.outpost.core.config;

/**
 * One thing wrong with a configuration: the key path where it is ({@code regions.eu-west.store.url})
 * and what is wrong with it, including the rule and the value that broke it.
 */
public record ConfigProblem(String path, String message) {

    @Override
    public String toString() {
        return path.isEmpty() ? message : path + ": " + message;
    }
}
