// Fetches a Twilio access token from our own server (see server/token.js).
export async function fetchToken(identity) {
  const response = await fetch(`/token?identity=${encodeURIComponent(identity)}`);
  return (await response.json()).token;
}
