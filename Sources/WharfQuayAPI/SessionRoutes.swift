import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain

/// `POST /api/v1/signin` and `POST /api/v1/signout`: cookie sessions for API callers without a token.
struct SessionRoutes {
    let services: QuayServices

    var routes: [QuayRoute] {
        [
            QuayRoute(.post, "/api/v1/signin", operationID: "signinUser", summary: "Sign in the user with the specified credentials.",
                      body: QuayBodySchema("SigninUser", "Information required to sign in a user.", [
                          QuayParameter("username", .string, "The user's username", required: true),
                          QuayParameter("password", .string, "The user's password", required: true),
                      ]), csrfExempt: true, handler: signIn),
            QuayRoute(.post, "/api/v1/signout", operationID: "logout", summary: "Request that the current user be signed out.",
                      handler: signOut),
        ]
    }

    struct Credentials: Decodable {
        let username: String
        let password: String
    }

    /// Sign-in is exempt from the CSRF token (there is no session yet) but takes only JSON, which a
    /// cross-site form cannot send without a CORS preflight.
    @Sendable func signIn(_ call: QuayRequest) async throws -> Response {
        guard call.request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            throw QuayAPIError.invalidRequest("Sign-in takes a JSON body (Content-Type: application/json)")
        }
        let body: Credentials = try await QuayJSON.decode(call.request)
        guard let session = try await services.sessions.signIn(username: body.username, password: body.password, ip: call.caller.ip) else {
            return QuayJSON.response(.forbidden, ["needsEmailVerification": false, "invalidCredentials": true,
                                                  "message": "Invalid username or password"])
        }
        var headers = HTTPFields()
        headers[.setCookie] = "\(APICaller.sessionCookie)=\(session.cookieValue); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(Int(SessionService.lifetime))"
            + (services.settings.urlScheme == "https" ? "; Secure" : "")
        headers[HTTPField.Name("X-Next-CSRF-Token")!] = session.csrfToken
        return QuayJSON.response(.ok, ["success": true], headers: headers)
    }

    @Sendable func signOut(_ call: QuayRequest) async throws -> Response {
        if let session = call.caller.session { try await services.sessions.signOut(session, ip: call.caller.ip) }
        var headers = HTTPFields()
        headers[.setCookie] = "\(APICaller.sessionCookie)=; Path=/; HttpOnly; Max-Age=0"
        return QuayJSON.response(.ok, ["success": true], headers: headers)
    }
}
