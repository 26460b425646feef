package io.outpost.gateway.internal;

import io.outpost.core.config.ReadPolicy;
import io.outpost.core.config.ViewDefinition;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One view's read rules ({@code views.<view>.read}), applied to a caller: which rules apply (the
 * caller has their scope), and the rows they allow with its claims in place
 * ({@link #visibility}).
 *
 * <p>Claims are resolved to the JSON values they may equal: a string claim is that string, and also
 * that number when it reads as a plain decimal number ({@code "5"} equals a document's {@code 5},
 * as a request's {@code customer.id=5} does); a number claim is that number and its text; a boolean
 * is itself. A missing claim, a list, a map or a null matches nothing — the rule's group is then
 * dropped, never widened. Values are bind parameters or compared in memory, never SQL text, so a
 * claim such as {@code "1 OR 1=1"} is just a string no row has.
 */
final class ReadRules {

    /** Outcomes of {@link #visibility} that are not a visibility. */
    enum Refusal {
        /** The view is not public and the caller sent no credential. */
        UNAUTHENTICATED,
        /** No rule of the view applies to the caller (it lacks every rule's scope). */
        INSUFFICIENT_SCOPE
    }

    /** What {@link #visibility} decided: a visibility, or a refusal. */
    record Decision(Visibility visibility, Refusal refusal) {
    }

    private static final Pattern PLAIN_NUMBER = Pattern.compile("-?(0|[1-9][0-9]{0,99})(\\.[0-9]{1,100})?");

    private final ViewDefinition view;
    private final ReadPolicy policy;
    /** The values every rule of the view compares, kept per document for every caller. */
    private final DocumentFields fields;

    /** @param enforced whether authentication is on (without it every view is public) */
    ReadRules(ViewDefinition view, boolean enforced) {
        this.view = view;
        this.policy = enforced && view.read() != null ? view.read() : ReadPolicy.PUBLIC;
        java.util.Set<String> paths = new java.util.HashSet<>();
        policy.rules().forEach(rule -> rule.rows().forEach(condition -> paths.add(condition.field())));
        this.fields = DocumentFields.kept(paths);
    }

    /** Whether anyone may read every row: no credential needs checking. */
    boolean isPublic() {
        return policy.isPublic();
    }

    /** The scopes of the view's rules, for a 403's {@code WWW-Authenticate}. */
    List<String> scopes() {
        return policy.rules().stream().map(ReadPolicy.Rule::scope).filter(java.util.Objects::nonNull).distinct().toList();
    }

    /** What {@code caller} may see of the view. */
    Decision visibility(Caller caller) {
        if (policy.isPublic()) {
            return new Decision(Visibility.ALL, null);
        }
        if (caller.anonymous()) {
            return new Decision(null, Refusal.UNAUTHENTICATED);
        }
        List<ReadPolicy.Rule> applying = policy.rules().stream()
                .filter(rule -> rule.scope() == null || caller.has(rule.scope())).toList();
        if (applying.isEmpty()) {
            return new Decision(null, Refusal.INSUFFICIENT_SCOPE);
        }
        List<Visibility.Group> groups = new ArrayList<>();
        for (ReadPolicy.Rule rule : applying) {
            if (rule.rows().isEmpty() && rule.hide().isEmpty()) {
                return new Decision(Visibility.ALL, null); // every row, nothing hidden: no other rule can add to it
            }
            List<Visibility.Condition> conditions = new ArrayList<>();
            boolean possible = true;
            for (ReadPolicy.Condition condition : rule.rows()) {
                List<String> values = new ArrayList<>();
                for (ReadPolicy.Operand operand : condition.anyOf()) {
                    switch (operand) {
                        case ReadPolicy.Literal literal -> values.add(literal.json());
                        case ReadPolicy.Claim claim -> values.addAll(candidates(caller.claims().get(claim.name())));
                    }
                }
                if (values.isEmpty()) {
                    possible = false;
                    break;
                }
                conditions.add(new Visibility.Condition(condition.onKey() ? null : condition.field(),
                        values.stream().distinct().toList()));
            }
            if (possible) {
                groups.add(new Visibility.Group(conditions, rule.hide()));
            }
        }
        return new Decision(Visibility.of(groups, view.key(), fields), null);
    }

    /** The JSON values a claim may equal; none for a missing, null or structured claim. */
    static List<String> candidates(Object claim) {
        return switch (claim) {
            case String text -> PLAIN_NUMBER.matcher(text).matches()
                    ? List.of(ListParameters.jsonString(text), text)
                    : List.of(ListParameters.jsonString(text));
            case Integer number -> List.of(number.toString(), ListParameters.jsonString(number.toString()));
            case Long number -> List.of(number.toString(), ListParameters.jsonString(number.toString()));
            case java.math.BigInteger number -> List.of(number.toString(), ListParameters.jsonString(number.toString()));
            case Double number when Double.isFinite(number) -> List.of(BigDecimal.valueOf(number).toPlainString());
            case Boolean bool -> List.of(bool.toString());
            case null, default -> List.of();
        };
    }
}
