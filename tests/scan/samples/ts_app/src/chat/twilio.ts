// The one place that knows which chat SDK the app uses; everything else imports from here.
export { Client as ChatClient, Conversation } from "@twilio/conversations"; // expect: PKG-CONVERSATIONS
export type { Message as ChatMessage } from "@twilio/conversations"; // expect: PKG-CONVERSATIONS
